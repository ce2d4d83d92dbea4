"""The docs are a contract: they must name every command, option, finding and field.

Generic on purpose: commands are found by walking the click tree and findings by
iterating CODES, so anything added later is held to the same rule.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import click
import pytest

from cleanroom.cli import main
from cleanroom.cli.verify import _as_json
from cleanroom.ledger.findings import CODES, Finding
from cleanroom.ledger.verdict import EXIT_CODES, EXIT_USAGE, VERDICT_FORMAT, Status
from cleanroom.ledger.verify import verify_path
from tests.ledgerkit import Alert

ROOT = Path(__file__).resolve().parents[1]
VERDICT_MD = ROOT / "docs" / "verdict.md"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts/gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
COMMANDS = list(gen.walk(main, "cleanroom"))

# Options known to lack help text. Each entry is a strict xfail: once the help is
# written the test passes unexpectedly and fails, so the entry must be removed.
KNOWN_GAPS: dict[str, str] = {}


# -- docs/cli.md -----------------------------------------------------------------


def test_cli_reference_is_generated_from_the_current_commands():
    assert gen.OUTPUT.read_text(encoding="utf-8") == gen.render(), (
        "docs/cli.md is out of date: run .venv/bin/python scripts/gen_cli_docs.py"
    )


@pytest.mark.parametrize(
    "cmd", [c for _, c in COMMANDS], ids=[ctx.command_path for ctx, _ in COMMANDS]
)
def test_every_command_has_help(cmd: click.Command):
    assert (cmd.help or cmd.short_help or "").strip()


def _options() -> list:
    out = []
    for ctx, cmd in COMMANDS:
        for param in cmd.get_params(ctx):
            if isinstance(param, click.Option) and not param.hidden:
                name = f"{ctx.command_path} {max(param.opts, key=len)}"
                marks = []
                if name in KNOWN_GAPS:
                    marks = [pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True)]
                out.append(pytest.param(param, id=name, marks=marks))
    return out


@pytest.mark.parametrize("option", _options())
def test_every_option_has_help(option: click.Option):
    assert (option.help or "").strip()


# -- docs/verdict.md ---------------------------------------------------------------

_CODE_ROW = re.compile(r"^\|\s*`([A-Z][A-Z_]*)`\s*\|\s*(\w+)\s*\|", re.MULTILINE)


def _documented_codes() -> dict[str, str]:
    return dict(_CODE_ROW.findall(VERDICT_MD.read_text(encoding="utf-8")))


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_finding_code_is_documented_with_its_severity(code: str):
    documented = _documented_codes()
    assert code in documented, f"docs/verdict.md has no table row for {code}"
    assert documented[code] == CODES[code][0].value


def test_verdict_md_names_no_code_that_does_not_exist():
    assert set(_documented_codes()) <= set(CODES)


def test_statuses_exit_codes_and_format_are_documented():
    text = VERDICT_MD.read_text(encoding="utf-8")
    assert f"`{VERDICT_FORMAT}`" in text
    for status, code in [*EXIT_CODES.items(), ("usage", EXIT_USAGE)]:
        assert re.search(rf"^\|\s*{code}\s*\|.*{status}", text, re.MULTILINE | re.IGNORECASE), (
            f"no exit-code row for {code} {status}"
        )


def test_every_json_field_is_documented(kit, ledger_dir):
    from cleanroom.ledger.keys import raw_public
    from cleanroom.ledger.reviewer_keys import ReviewerKey
    from cleanroom.ledger.witness import Receipt
    from cleanroom.ledger.writer import receipt_path

    ledger = kit.new_ledger(ledger_dir, views=2)
    ledger.append(Alert("usb_mount", "/media/x"))
    ledger.seal(countersigner=kit.reviewer)
    receipt = Receipt.load(receipt_path(ledger.path))
    witness = receipt.witness
    known = [ReviewerKey(raw_public(kit.reviewer), "ada")]
    verdict = verify_path(ledger.path, kit.trust, [witness], [receipt], reviewers=known)
    doc = _as_json([verdict], [], Status.INTACT, kit.trust, known, {})
    ledger_doc = doc["ledgers"][0]
    summary = verdict.summary
    fields = {
        *doc,
        *ledger_doc,
        *Finding(None, "UNSEALED", "x").to_json(),
        *summary,
        *summary["certificate"],
        *summary["reviewer"],
        *summary["reviewer"]["countersign"],
        *summary["head"],
        *summary["alerts"][0],
        *doc["reviewer_keys"][0],
        *ledger_doc["witnesses"][0],
        *ledger_doc["receipts"][0],
    }
    text = VERDICT_MD.read_text(encoding="utf-8")
    missing = sorted(f for f in fields if f"`{f}`" not in text)
    assert not missing, f"docs/verdict.md does not describe {missing}"


# -- docs/events.md ----------------------------------------------------------------

EVENTS_MD = ROOT / "docs" / "events.md"


def test_every_event_kind_and_field_is_documented():
    import dataclasses

    from cleanroom.session.events import VOCABULARY

    text = EVENTS_MD.read_text(encoding="utf-8")
    missing = sorted(e.kind for e in VOCABULARY if f"`{e.kind}`" not in text)
    assert not missing, f"docs/events.md does not describe {missing}"
    for event in VOCABULARY:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{event.kind}`"))
        names = [f.name for f in dataclasses.fields(event) if f.name != "raw_path"]
        undocumented = [n for n in names if f"`{n}`" not in row]
        assert not undocumented, f"{event.kind}: fields {undocumented} are not documented"


# -- `cleanroom ...` in README.md and docs/ ----------------------------------------

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"`([^`\n]+)`")
_MENTION = re.compile(r"(?:^|[\s$(/])cleanroom[ \t]+(.+)")
_SHELL_STOP = {"|", "||", "&&", ";", "&"}
_WORD = re.compile(r"[a-z][a-z0-9-]*")


def mentions(markdown: str) -> list[list[str]]:
    """The arguments of each `cleanroom ...` command in code blocks and code spans."""
    chunks = _FENCE.findall(markdown)
    chunks += _SPAN.findall(_FENCE.sub("", markdown))
    found = []
    for chunk in chunks:
        for line in chunk.replace("\\\n", " ").splitlines():
            m = _MENTION.search(line)
            if not m:
                continue
            try:
                tokens = shlex.split(m.group(1))
            except ValueError:
                tokens = m.group(1).split()
            cut = next(
                (i for i, t in enumerate(tokens) if t in _SHELL_STOP or t[:1] in "#>"),
                len(tokens),
            )
            found.append(tokens[:cut])
    return found


def problem(tokens: list[str]) -> str | None:
    """Why `cleanroom *tokens` is not a real command line, or None if it is."""
    cmd: click.Command = main
    ctx = click.Context(main, info_name="cleanroom", **main.context_settings)
    i = 0
    while isinstance(cmd, click.Group) and i < len(tokens):
        token = tokens[i]
        if token.startswith("-"):
            break
        if not _WORD.fullmatch(token):  # a placeholder such as COMMAND or [OPTIONS]
            return None
        sub = cmd.get_command(ctx, token)
        if sub is None:
            return f"{ctx.command_path} has no command {token!r}"
        ctx = click.Context(sub, info_name=token, parent=ctx, **sub.context_settings)
        cmd, i = sub, i + 1
    names = {o for p in cmd.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
    for token in tokens[i:]:
        option = token.split("=")[0]
        if re.fullmatch(r"--[a-z][a-z0-9-]*|-[a-zA-Z]", option) and option not in names:
            return f"{ctx.command_path} has no option {option}"
    return None


DOCS = [ROOT / "README.md", ROOT / "keys/README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_every_cleanroom_command_in_the_docs_exists(path: Path):
    found = mentions(path.read_text(encoding="utf-8"))
    if path.name == "README.md":
        assert found, "README.md should show at least one cleanroom command"
    bad = [f"cleanroom {' '.join(t)}: {why}" for t in found if (why := problem(t))]
    assert not bad, "\n".join(bad)


def test_the_mention_checker_catches_invented_commands_and_options():
    text = "Run `cleanroom frobnicate x`, then\n```\n"
    text += "cleanroom verify D --trsut k \\\n  --json\n```\n"
    found = mentions(text)
    assert found == [["verify", "D", "--trsut", "k", "--json"], ["frobnicate", "x"]]
    assert "no option --trsut" in problem(found[0])
    assert "no command 'frobnicate'" in problem(found[1])
    assert problem(["keys", "certify", "-o", "x", "--days=3"]) is None
    assert problem(["keys", "[OPTIONS]", "COMMAND"]) is None


def test_no_merge_conflict_markers_in_any_tracked_text() -> None:
    """A merge once left `<<<<<<<` lines in the vendor guide: no test read it."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    files = subprocess.run(
        ["git", "ls-files", "*.md", "*.py", "*.toml", "*.tcss", "scripts/*"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert files
    marked = []
    for name in files:
        path = root / name
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "=======":
                marked.append(f"{name}:{n}")
    assert marked == []
