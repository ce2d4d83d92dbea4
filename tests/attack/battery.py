"""Outside attack battery: hostile sidecars and odd files in front of every entry
point that reads evidence. Prints one line per (shape, command): exit code,
seconds, whether the site changed, the canary survived, a traceback appeared.

Usage: .venv/bin/python -m tests.attack.battery [SCRATCH_DIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.journalkit import plant_journal
from tests.test_evidence_side_effects import LEDGER_COMMANDS, SNAPSHOT_COMMANDS, build_site, state

Shape = Callable[[dict[str, Path], Path], None]


def _wal(s: dict[str, Path]) -> Path:
    return Path(f"{s['ledger']}-wal")


def _replace(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif os.path.lexists(p):
        p.unlink()


def wal_dir(s, site):
    _replace(_wal(s))
    _wal(s).mkdir()


def wal_fifo(s, site):
    _replace(_wal(s))
    os.mkfifo(_wal(s))


def wal_dev_zero(s, site):
    _replace(_wal(s))
    _wal(s).symlink_to("/dev/zero")


def wal_link_to_key(s, site):
    _replace(_wal(s))
    _wal(s).symlink_to(s["key"])


def shm_link_to_key(s, site):
    Path(f"{s['ledger']}-shm").symlink_to(s["key"])


def journal_fifo(s, site):
    os.mkfifo(f"{s['ledger']}-journal")


def journal_dir(s, site):
    os.mkdir(f"{s['ledger']}-journal")


def journal_link(s, site):
    Path(f"{s['ledger']}-journal").symlink_to(s["key"])


def journal_names_dir(s, site):
    plant_journal(s["ledger"], s["key"].parent)


def ledger_link_elsewhere(s, site):
    """The ledger is a link into another directory, whose -journal names the key."""
    other = site / "other"
    other.mkdir()
    real = other / s["ledger"].name
    shutil.move(s["ledger"], real)
    if os.path.lexists(_wal(s)):
        shutil.move(_wal(s), f"{real}-wal")
    plant_journal(real, s["key"])
    s["ledger"].symlink_to(real)


def empty(s, site):
    s["ledger"].chmod(0o644)
    s["ledger"].write_bytes(b"")


def one_byte(s, site):
    s["ledger"].chmod(0o644)
    s["ledger"].write_bytes(b"S")


def truncated(s, site):
    s["ledger"].chmod(0o644)
    data = s["ledger"].read_bytes()
    s["ledger"].write_bytes(data[:1000])


def header_only(s, site):
    s["ledger"].chmod(0o644)
    s["ledger"].write_bytes(b"SQLite format 3\x00")


SHAPES: dict[str, Shape] = {f.__name__: f for f in (
    wal_dir, wal_fifo, wal_dev_zero, wal_link_to_key, shm_link_to_key, journal_fifo,
    journal_dir, journal_link, journal_names_dir, ledger_link_elsewhere, empty, one_byte,
    truncated, header_only,
)}  # fmt: skip


def run(args: list, cwd: Path, home: Path) -> tuple[int, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "XDG_"))}
    env |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    start = time.monotonic()
    try:
        p = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        code = p.returncode
    except subprocess.TimeoutExpired:
        out, code = "TIMEOUT", -999
    return code, out, time.monotonic() - start


def main(scratch: Path) -> int:
    bad = 0
    for crashed in (False, True):
        for name, shape in SHAPES.items():
            for command, build in LEDGER_COMMANDS.items():
                root = Path(tempfile.mkdtemp(dir=scratch))
                site, home = root / "site", root / "home"
                home.mkdir()
                s = build_site(site, crashed)
                shape(s, site)
                before = state(site)
                code, out, secs = run(build(s, root), site, home)
                after = state(site)
                changed = sorted(set(before.items()) ^ set(after.items()))
                flags = []
                if changed:
                    flags.append(f"CHANGED {changed[:3]}")
                if not s["key"].exists():
                    flags.append("KEY DELETED")
                if "Traceback" in out or code not in (0, 1, 2, 3):
                    flags.append("TRACEBACK/EXIT " + out.strip().splitlines()[-1][:120])
                bad += bool(flags)
                tag = "wal" if crashed else "sealed"
                last = out.strip().splitlines()[-1][:70] if out.strip() else ""
                print(f"{tag:6} {name:22} {command:18} rc={code:4} {secs:5.1f}s {last!r} "
                      f"{' '.join(flags)}", flush=True)  # fmt: skip
                shutil.rmtree(root, ignore_errors=True)
    for name in ("journal_fifo", "journal_dir", "journal_link", "shm_link_to_key"):
        for command, build in SNAPSHOT_COMMANDS.items():
            root = Path(tempfile.mkdtemp(dir=scratch))
            site, home = root / "site", root / "home"
            home.mkdir()
            s = build_site(site, False)
            s = dict(s, ledger=s["snapshot"])
            SHAPES[name](s, site)
            before = state(site)
            code, out, secs = run(build(s, root), site, home)
            changed = sorted(set(before.items()) ^ set(state(site).items()))
            flags = (["CHANGED"] if changed else []) + (["KEY DELETED"] * (not s["key"].exists()))
            if "Traceback" in out:
                flags.append("TRACEBACK")
            bad += bool(flags)
            print(f"snap   {name:22} {command:18} rc={code:4} {secs:5.1f}s {' '.join(flags)}")
            shutil.rmtree(root, ignore_errors=True)
    print(f"{bad} problems")
    return int(bad > 0)


if __name__ == "__main__":
    scratch = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="attack-"))
    scratch.mkdir(parents=True, exist_ok=True)
    sys.exit(main(scratch))
