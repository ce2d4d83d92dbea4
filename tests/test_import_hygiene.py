"""The core stays pure: ledger, snapshot, session, forensics, guard and the
recorder service never import textual or rich, directly or through anything
they import; and the layers import downward only (ledger at the bottom, then
notes, snapshot, session, guard, forensics, then recorder, then tui and cli)."""

import ast
import functools
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


# One fresh interpreter checks every core module, each import in a forked child
# of its own, without paying for a new interpreter per module (about 220 of them
# made this file a minute of the suite), nor for importing each module's whole
# closure again in each child (20 s of CPU: every child re-ran the dataclass
# machinery of every module below it). The modules are tried dependencies first
# (`import_order`), in a chain process that imports each module again itself once
# its child found the import clean, so the next child starts with the modules below
# already loaded and pays for its own module only.
#
# That answers the same question as a child of a clean interpreter would: the chain
# holds only modules whose own import pulled in no UI package (and the parent checks
# it still holds none after each), so a module whose import would pull one in, alone,
# pulls it in on top of the chain too (the import that does it is not among those
# already run). A module the chain already holds when its turn comes (imported by a
# module before it: a package's __init__, an import cycle) is not tried there: it
# is tried afterwards in a child of the clean root, as every module once was. The
# root holds only the standard library and the non-UI third-party packages the core
# uses, and checks it holds no UI package first.
_ISOLATED_IMPORTS = """
import importlib, json, os, sys, traceback
import cryptography.hazmat.primitives.asymmetric.ed25519
import cryptography.hazmat.primitives.serialization
import msgspec
UI = tuple(json.loads(sys.argv[2]))
ui = lambda: sorted(m for m in sys.modules if m.split('.')[0] in UI)
assert not ui(), ui()

def attempt(module):
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
    return json.loads(answer)

read, write = os.pipe()
chain = os.fork()
if chain == 0:
    os.close(read)
    code = 1
    try:
        for module in json.loads(sys.argv[1]):
            if module in sys.modules:
                os.write(write, (module + "\\n").encode())  # for the clean root
                continue
            result = attempt(module)
            print(json.dumps([module, result]), flush=True)
            if result == {"bad": [], "error": ""}:
                importlib.import_module(module)
                assert not ui(), f"importing {module} again pulled in {ui()}"
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)
os.close(write)
with os.fdopen(read) as f:
    held = f.read().split()
_, status = os.waitpid(chain, 0)
assert status == 0, f"the chain ended with status {status}"
for module in held:
    print(json.dumps([module, attempt(module)]), flush=True)
"""


def _dependencies(module: str, modules: set[str]) -> list[str]:
    """The core modules `module` names in an import (anywhere in it), and the
    packages that hold it: an order hint only, whatever the imports do."""
    found = [n for n in _imports(module) if n in modules]
    tree, package = _parsed(module)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or node.level):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            found += [f"{stem}.{a.name}" for a in node.names if f"{stem}.{a.name}" in modules]
    parts = module.split(".")
    found += [p for i in range(1, len(parts)) if (p := ".".join(parts[:i])) in modules]
    return sorted(set(found) - {module})


def import_order(modules: list[str]) -> list[str]:
    """`modules`, each after the modules it imports (cycles broken anywhere)."""
    known, done, order = set(modules), set(), []

    def visit(module: str) -> None:
        if module in done:
            return
        done.add(module)
        for dep in _dependencies(module, known):
            visit(dep)
        order.append(module)

    for module in modules:
        visit(module)
    return order


def test_the_import_order_puts_a_module_after_what_it_imports():
    order = import_order(core_modules())
    assert sorted(order) == sorted(core_modules())
    # recorder/dispatch.py: `from ..session.events import ...`, `from . import messages`
    dispatch = order.index("cleanroom.recorder.dispatch")
    assert order.index("cleanroom.session.events") < dispatch
    assert order.index("cleanroom.recorder.messages") < dispatch
    assert order.index("cleanroom.ledger.encoding") < order.index("cleanroom.ledger.verify")


@pytest.fixture(scope="module")
def ui_pulled_in() -> dict[str, dict]:
    """What importing each core module alone (in a fresh interpreter's fork, on top
    of clean modules below it) pulled in of the UI packages, and its traceback if
    the import failed."""
    argv = [sys.executable, "-c", _ISOLATED_IMPORTS, json.dumps(import_order(core_modules())),
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
        for node in ast.walk(_parsed(module)[0]):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{module}: {n}" for n in names if n.split(".")[0] in UI_PACKAGES]
    assert offenders == []


@functools.cache
def _parsed(module: str) -> tuple[ast.Module, list[str]]:
    """The module's syntax tree, and the package its relative imports start from."""
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    return ast.parse(path.read_text()), package


def _imports(module: str) -> list[str]:
    tree, package = _parsed(module)
    names = []
    for node in ast.walk(tree):
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
