"""The core stays pure: ledger, snapshot, session, forensics, guard and the
recorder service never import textual or rich, directly or through anything
they import; and the layers import downward only (ledger at the bottom, then
notes, snapshot, session, guard, forensics, then recorder, then tui and cli)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = [
    "ledger",
    "notes",
    "snapshot",
    "session",
    "forensics",
    "notecheck",
    "release",
    "guard",
    "workstation",
    "recorder",
]
# What each package may not import (cleanroom.<name>): everything above it.
ABOVE = {
    "ledger": (
        "notes",
        "snapshot",
        "session",
        "guard",
        "forensics",
        "workstation",
        "recorder",
        "tui",
        "cli",
    ),
    # notes: the pure note model, below the session that records notes
    "notes": ("snapshot", "session", "guard", "forensics", "workstation", "recorder", "tui", "cli"),
    "snapshot": ("session", "guard", "forensics", "workstation", "recorder", "tui", "cli"),
    "session": ("guard", "forensics", "workstation", "recorder", "tui", "cli"),
    "guard": ("forensics", "workstation", "recorder", "tui", "cli"),
    "forensics": ("notecheck", "release", "workstation", "recorder", "tui", "cli"),
    # Notes out of the room: the check reads forensics' verified notes; the release
    # reads the check's findings.
    "notecheck": ("release", "workstation", "recorder", "tui", "cli"),
    "release": ("workstation", "recorder", "tui", "cli"),
    "workstation": ("forensics", "recorder", "tui", "cli"),
    "recorder": ("workstation", "tui", "cli"),
}
UI_PACKAGES = ("textual", "rich")


def core_modules() -> list[str]:
    mods = []
    for pkg in CORE:
        base = ROOT / "cleanroom" / pkg
        for path in sorted(base.rglob("*.py")) if base.exists() else []:
            rel = path.relative_to(ROOT).with_suffix("")
            mods.append(".".join(rel.parts).removesuffix(".__init__"))
    return mods


def test_there_is_a_core_to_check():
    assert "cleanroom.ledger.verify" in core_modules()


# One fresh interpreter imports each core module in a forked child of its own, so
# each import starts from the same clean state a new process has, without paying
# for a new interpreter per module (about 180 of them made this file a minute of
# the suite). The parent holds only the standard library and the non-UI
# third-party packages the core uses, and checks it holds no UI package first.
_ISOLATED_IMPORTS = """
import importlib, json, os, sys, traceback
import cryptography.hazmat.primitives.asymmetric.ed25519
import cryptography.hazmat.primitives.serialization
import msgspec
UI = tuple(json.loads(sys.argv[2]))
ui = lambda: sorted(m for m in sys.modules if m.split('.')[0] in UI)
assert not ui(), ui()
for module in json.loads(sys.argv[1]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            result = {"bad": ui(), "error": ""}
        except BaseException:
            result = {"bad": ui(), "error": traceback.format_exc()[-500:]}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        answer = f.read()
    _, status = os.waitpid(pid, 0)
    if not answer:
        answer = json.dumps({"bad": [], "error": f"the child ended with status {status}"}).encode()
    print(json.dumps([module, json.loads(answer)]), flush=True)
"""


@pytest.fixture(scope="module")
def ui_pulled_in() -> dict[str, dict]:
    """What importing each core module alone (in a fresh interpreter's fork) pulled
    in of the UI packages, and its traceback if the import failed."""
    argv = [sys.executable, "-c", _ISOLATED_IMPORTS, json.dumps(core_modules()),
            json.dumps(UI_PACKAGES)]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(line) for line in out.stdout.splitlines())


@pytest.mark.parametrize("module", core_modules())
def test_core_module_does_not_import_ui_even_transitively(module, ui_pulled_in):
    got = ui_pulled_in[module]
    assert got["bad"] == [] and got["error"] == "", (
        f"{module} pulls in: {','.join(got['bad'])} {got['error']}"
    )


def test_no_core_source_names_a_ui_package():
    offenders = []
    for module in core_modules():
        path = ROOT / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / module.replace(".", "/") / "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{module}: {n}" for n in names if n.split(".")[0] in UI_PACKAGES]
    assert offenders == []


def _imports(module: str) -> list[str]:
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            names.append(".".join(base + ([node.module] if node.module else [])))
    return names


@pytest.mark.parametrize("module", core_modules())
def test_layers_import_only_downward(module):
    layer = module.split(".")[1]
    banned = tuple(f"cleanroom.{name}" for name in ABOVE[layer])
    upward = [n for n in _imports(module) if n.startswith(banned)]
    assert upward == [], f"{module} imports from a layer above it: {upward}"


def test_the_layer_check_resolves_relative_imports():
    # `from ..session.events import ...` in cleanroom/recorder/dispatch.py
    assert "cleanroom.session.events" in _imports("cleanroom.recorder.dispatch")
    # `from . import messages` in the same package
    assert "cleanroom.recorder" in _imports("cleanroom.recorder.dispatch")
