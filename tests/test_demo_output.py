"""What `cleanroom demo` prints at the end names only files that exist, also when
the session ended without a seal (a crash of the terminal)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import demo as demo_module
from cleanroom.cli import main
from cleanroom.cli.review import Setup, start_ledger
from cleanroom.ledger.writer import UnfinishedSeal, receipt_path

PATH = re.compile(r"(/\S+)")


def run_demo(tmp_path: Path, monkeypatch, seal: bool) -> str:
    """The demo with the terminal replaced by what a session leaves: a ledger
    sealed, or one a crash left unsealed."""

    def session(setup: Setup, choice: str | None) -> list[tuple[Path, str | None]]:
        setup.ledger_dir.mkdir(parents=True, exist_ok=True)
        ledger = start_ledger(setup)
        if seal:
            ledger.seal("reviewer")
        else:
            ledger.close()
        return [(ledger.path, None)]

    monkeypatch.setattr(demo_module, "require_isolated", lambda: None)  # pytest is not -I
    monkeypatch.setattr(demo_module, "harden_process", lambda: None)  # keep pytest dumpable
    monkeypatch.setattr(demo_module, "run_session", session)
    out = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "d")])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    return out.output


def test_after_a_crash_no_receipt_is_named(tmp_path, monkeypatch):
    output = run_demo(tmp_path, monkeypatch, seal=False)
    assert "UNSEALED" in output
    assert "receipt  none: the session was not sealed" in output
    (ledger,) = (tmp_path / "d" / "ledgers").glob("*.ledger")
    assert not receipt_path(ledger).exists()
    missing = [p for p in PATH.findall(output) if not Path(p).exists()]
    assert missing == [], output


def test_after_a_seal_the_receipt_is_named(tmp_path, monkeypatch):
    output = run_demo(tmp_path, monkeypatch, seal=True)
    (ledger,) = (tmp_path / "d" / "ledgers").glob("*.ledger")
    assert f"receipt  {receipt_path(ledger)}" in output
    missing = [p for p in PATH.findall(output) if not Path(p).exists()]
    assert missing == [], output


def test_the_verify_line_runs_as_printed_from_anywhere(tmp_path, monkeypatch):
    """The closing lines are commands a person copies by hand: they must run as
    printed in a plain shell, not only in an activated venv (issue 15)."""
    import shlex
    import subprocess

    output = run_demo(tmp_path / "with space", monkeypatch, seal=True)
    (line,) = [x for x in output.splitlines() if x.startswith("verify   ")]
    argv = shlex.split(line.removeprefix("verify   "))
    assert Path(argv[0]).is_absolute() and Path(argv[0]).exists(), argv
    env = {"PATH": "/usr/bin:/bin"}  # no venv on PATH
    done = subprocess.run(argv, cwd="/", env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INTACT" in done.stdout
    (replay,) = [x for x in output.splitlines() if x.startswith("replay   ")]
    assert shlex.split(replay.removeprefix("replay   "))[:2] == [argv[0], "replay"]


def _opened_demo_snapshot(tmp_path: Path):
    from cleanroom.ledger.keys import Role, load_public_key
    from cleanroom.snapshot.store import Snapshot

    (snapshot,) = (tmp_path / "d").glob("sample-*.snapshot")
    pub = load_public_key(tmp_path / "d" / "keys" / "vendor.pub", role=Role.VENDOR_ROOT)
    return Snapshot.open(snapshot, [pub.public_bytes_raw()])


def test_the_demo_snapshot_carries_a_symbol_index_where_ctags_is(tmp_path, monkeypatch):
    from cleanroom.snapshot.symbols.query import SymbolIndex

    output = run_demo(tmp_path, monkeypatch, seal=True)
    assert "(with a symbol index)" in output
    with _opened_demo_snapshot(tmp_path) as snap:
        assert snap.has_symbols
        assert SymbolIndex(snap).definitions("ReviewSession").count >= 1


def test_without_ctags_the_demo_runs_and_says_it_has_no_index(tmp_path, monkeypatch):
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no ctags on PATH
    output = run_demo(tmp_path, monkeypatch, seal=True)
    assert "WITHOUT a symbol index: universal-ctags is not installed" in output
    with _opened_demo_snapshot(tmp_path) as snap:
        assert not snap.has_symbols


def test_every_session_of_the_run_is_summed_up(tmp_path, monkeypatch):
    """The recorder ended a session while it could not reach the terminal, which went
    on in a new one (issue 12's third attack): the summary gives each session's
    start witness, ledger, verdict and final witness, not only the last one's."""

    def sessions(setup: Setup, choice: str | None) -> list[tuple[Path, str | None]]:
        setup.ledger_dir.mkdir(parents=True, exist_ok=True)
        first, second = start_ledger(setup), start_ledger(setup)
        first.close()  # left unsealed
        second.seal("reviewer")
        return [(first.path, "0:FIRST-START"), (second.path, "0:SECOND-START")]

    monkeypatch.setattr(demo_module, "require_isolated", lambda: None)
    monkeypatch.setattr(demo_module, "harden_process", lambda: None)
    monkeypatch.setattr(demo_module, "run_session", sessions)
    out = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "d")])
    text = out.output
    ledgers = sorted((tmp_path / "d" / "ledgers").glob("*.ledger"))
    assert len(ledgers) == 2
    assert "session  1 of 2" in text and "session  2 of 2" in text, text
    assert text.index("0:FIRST-START") < text.index("0:SECOND-START")
    assert "UNSEALED" in text and "INTACT" in text, text
    assert text.count("verdict  ") == 2 and text.count("head     ") == 2, text
    assert out.exit_code != 0  # the worst of the two: one session is not sealed


def test_a_ledger_moved_under_the_session_names_its_gone_receipt(tmp_path, monkeypatch):
    """A ledger moved away before the seal: the seal's receipt is written beside
    where it was (`.gone.receipt.json`); the summary names that file and never
    says the session was not sealed (outside attack atk12e, LOW 6)."""

    def session(setup: Setup, choice: str | None) -> list[tuple[Path, str | None]]:
        setup.ledger_dir.mkdir(parents=True, exist_ok=True)
        ledger = start_ledger(setup)
        away = tmp_path / "moved"
        away.mkdir()
        for f in setup.ledger_dir.glob(ledger.path.name + "*"):
            f.rename(away / f.name)
        with pytest.raises(UnfinishedSeal):  # as the real terminal's seal screen shows it
            ledger.seal("reviewer")
        return [(ledger.path, None)]

    monkeypatch.setattr(demo_module, "require_isolated", lambda: None)
    monkeypatch.setattr(demo_module, "harden_process", lambda: None)
    monkeypatch.setattr(demo_module, "run_session", session)
    output = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "d")]).output
    (gone,) = (tmp_path / "d" / "ledgers").glob("*.gone.receipt.json")
    assert f"receipt  {gone}" in output, output
    assert "not sealed" not in output, output
