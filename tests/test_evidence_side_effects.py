"""Reading evidence never changes anything on disk (issue 10 §1, ADR 0004).

A rollback journal planted beside a ledger or a snapshot names a
"super-journal" that SQLite deletes after replaying the journal: any file the
person verifying may delete. Every entry point that reads evidence runs here
against a site laid out as docs/guide-vendor.md shows (keys beside ledgers),
with the journal naming the vendor key by an absolute and by a relative path.
The key must survive, no file of the site may be created, changed or removed
(outputs asked for with -o / --cast excepted), and the verdict must name the
journal.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests import forensicskit
from tests.journalkit import canary, plant_journal
from tests.ledgerkit import Kit

REPO = Path(__file__).resolve().parent.parent
CLI = REPO / ".venv" / "bin" / "cleanroom"
PYTHON = REPO / ".venv" / "bin" / "python"
MINIMAL = REPO / "scripts" / "verify_minimal.py"
KIT = Kit("sidefx")
TIMEOUT = 60


def state(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under `root`: mode and content hash (FIFOs and links by kind)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            digest = ""
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(full, root)] = (st.st_mode, digest)
    return out


def build_site(root: Path, crashed: bool) -> dict[str, Path]:
    """keys/, ledgers/ and a snapshot, as a vendor keeps them; the ledger names
    the snapshot and shows one of its files."""
    keys = root / "keys"
    keys.mkdir(parents=True)
    trust = forensicskit.trust_file(KIT, keys)
    snap_path = forensicskit.make_snapshot(KIT, root / "snap")
    with Snapshot.open(snap_path, KIT.trust) as snap:
        ref = SnapshotRef(snap.id, snap.manifest.root)
        info = next(i for i in snap.files() if i.blob is not None)
        path, blob, lines = info.path, info.blob.hex(), snap.blob(info.blob).lines
    live = root / ("live" if crashed else "ledgers")
    live.mkdir()
    ledger = KIT.new_ledger(live, snapshot=ref)
    ledger.append(FileOpen(path, blob, info.size, lines))
    ledger.append(View(path, blob, 1, min(lines, 10), 0, 80))
    if crashed:  # copy the files while the writer still holds them: an unsealed -wal
        (root / "ledgers").mkdir()
        for p in live.iterdir():
            (root / "ledgers" / p.name).write_bytes(p.read_bytes())
        ledger.close()
        for p in live.iterdir():
            p.unlink()
        live.rmdir()
        ledger_path = root / "ledgers" / ledger.path.name
        assert Path(f"{ledger_path}-wal").exists()
    else:
        ledger.seal(countersigner=KIT.reviewer)
        ledger_path = ledger.path
    return {
        "trust": trust,
        "snapshot": snap_path,
        "ledger": ledger_path,
        "target": Path(os.fsdecode(path)),
        "key": canary(keys / "vendor.key"),
    }


def run(args: list[str | Path], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "XDG_"))}
    env |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


LEDGER_COMMANDS = {
    "verify": lambda s, out: [CLI, "verify", s["ledger"], "--trust", s["trust"]],
    "verify-json": lambda s, out: [CLI, "verify", s["ledger"], "--trust", s["trust"], "--json"],
    "verify-dir": lambda s, out: [CLI, "verify", s["ledger"].parent, "--trust", s["trust"]],
    "report": lambda s, out: [
        *(CLI, "report", s["ledger"], "--snapshot", s["snapshot"]),
        *("--trust", s["trust"], "-o", out / "report.html", "--include-tampered"),
    ],
    "who-viewed": lambda s, out: [
        *(CLI, "who-viewed", s["target"], s["ledger"]),
        *("--trust", s["trust"], "--snapshot", s["snapshot"]),
    ],
    "replay-cast": lambda s, out: [
        *(CLI, "replay", s["ledger"], "--snapshot", s["snapshot"]),
        *("--trust", s["trust"], "--cast", out / "replay.cast", "--include-tampered"),
    ],
    "verify_minimal": lambda s, out: [PYTHON, MINIMAL, s["ledger"], "--trust", s["trust"]],
}

SNAPSHOT_COMMANDS = {
    "snapshot-verify": lambda s, out: [
        *(CLI, "snapshot", "verify", s["snapshot"], "--trust", s["trust"]),
    ],
    "snapshot-verify-rebuild": lambda s, out: [
        *(CLI, "snapshot", "verify", s["snapshot"], "--trust", s["trust"], "--rebuild-index"),
    ],
    "snapshot-info": lambda s, out: [CLI, "snapshot", "info", s["snapshot"]],
}


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
@pytest.mark.parametrize("crashed", [False, True], ids=["sealed", "with-wal"])
@pytest.mark.parametrize("command", sorted(LEDGER_COMMANDS))
def test_a_journal_beside_a_ledger_deletes_nothing(
    tmp_path: Path, command: str, crashed: bool, relative: bool
) -> None:
    site, out, home = tmp_path / "site", tmp_path / "out", tmp_path / "home"
    out.mkdir()
    home.mkdir()
    s = build_site(site, crashed)
    target = Path("keys/vendor.key") if relative else s["key"]
    plant_journal(s["ledger"], target)
    before = state(site)
    result = run(LEDGER_COMMANDS[command](s, out), cwd=site, home=home)
    assert s["key"].exists(), f"{command} deleted the key the journal names"
    assert state(site) == before, f"{command} changed the evidence directory"
    assert "Traceback" not in result.stderr, result.stderr
    if command.startswith("verify"):
        assert "-journal" in result.stdout + result.stderr, result.stdout
    if command in ("verify", "verify-dir"):
        assert "super-journal" in result.stdout, result.stdout
        assert result.returncode == (3 if crashed else 0), result.stdout


@pytest.mark.parametrize("command", sorted(SNAPSHOT_COMMANDS))
def test_a_journal_beside_a_snapshot_deletes_nothing(tmp_path: Path, command: str) -> None:
    site, home = tmp_path / "site", tmp_path / "home"
    home.mkdir()
    s = build_site(site, crashed=False)
    plant_journal(s["snapshot"], Path("keys/vendor.key"))
    before = state(site)
    result = run(SNAPSHOT_COMMANDS[command](s, tmp_path), cwd=site, home=home)
    assert s["key"].exists()
    assert state(site) == before
    assert "Traceback" not in result.stderr, result.stderr
    if command.startswith("snapshot-verify"):
        assert "super-journal" in result.stdout, result.stdout


def test_opening_a_snapshot_for_review_deletes_nothing(tmp_path: Path, monkeypatch) -> None:
    site = tmp_path / "site"
    s = build_site(site, crashed=False)
    plant_journal(s["snapshot"], s["key"])
    monkeypatch.chdir(site)
    plant = Path(f"{s['snapshot']}-wal")
    plant.write_bytes(b"\x37\x7f\x06\x82" + bytes(28))  # a WAL header with nothing after it
    before = state(site)
    with Snapshot.open(s["snapshot"], KIT.trust) as snap:
        for info in snap.files():
            if info.blob is not None:
                blob = snap.blob(info.blob)
                snap.read_lines(info.blob, 0, blob.lines)
    assert s["key"].exists()
    assert state(site) == before


def test_the_api_reports_the_journal_and_the_name_it_holds(tmp_path: Path) -> None:
    from cleanroom.ledger.verify import verify_path

    s = build_site(tmp_path / "site", crashed=False)
    plant_journal(s["ledger"], s["key"])
    verdict = verify_path(s["ledger"], KIT.trust)
    notes = [f.message for f in verdict.findings if f.code == "SIDECAR"]
    assert any(str(s["key"]) in m and "not applied" in m for m in notes), notes
    assert s["key"].exists()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
