"""A snapshot of long lines for the wrap toggle's tests (ADR 0212): ASCII lines
longer than any screen, wide characters that a row's end would halve, a line
past MAX_LINE_BYTES, a hostile line (escapes, bidi), and short lines after."""

from __future__ import annotations

from pathlib import Path

from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from cleanroom.tui.app import ReviewApp
from tests.ledgerkit import FlakyDisk, Kit

WIDE = b"".join([
    b"int short_one(void);\n",
    b"/* " + b" ".join(b"word%03d" % i for i in range(40)) + b" */\n",  # 319 bytes
    ("\u6f22\u5b57" * 50 + "x").encode() + b"\n",  # 201 cells: a wide char at each row end
    b"char big[] = \"" + b"A" * 2990 + b"\";\n",  # past MAX_LINE_BYTES: the marker
    b'puts("\x1b]52;c;SGVsbG8=\x07 \xe2\x80\xae } if (admin) ");\n',
    *[b"int line_%02d = %d;\n" % (i, i) for i in range(60)],
    b"no trailing newline " * 9,
])  # fmt: skip
PATH = b"w/wide.c"


def wide_source(kit: Kit, workdir: Path) -> SnapshotSource:
    snapshot = workdir / "wide.snapshot"
    if not snapshot.exists():
        src = workdir / "wide-src"
        (src / "w").mkdir(parents=True, exist_ok=True)
        (src / "w" / "wide.c").write_bytes(WIDE)
        create_snapshot(src, snapshot, kit.vendor, name="wide", version="1.0", created=1)
    return SnapshotSource.from_file(snapshot, kit.trust)


def wide_app(kit: Kit, ledger_dir: Path) -> tuple[ReviewApp, FlakyDisk]:
    ledger = kit.new_ledger(ledger_dir)
    disk = FlakyDisk(ledger._conn)
    ledger._conn = disk
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "wide 1.0", str(ledger.path))
    source = wide_source(kit, ledger_dir.parent)
    return ReviewApp(ReviewSession(Recorder(ledger), source, facts),
                     countersigner=kit.reviewer), disk  # fmt: skip
