"""A real review session over a snapshot that carries a signed symbol index: the
polyglot tree (tests/symbolskit.py) plus the boring and hostile cases following
code must survive, for Pilot and recorder tests of outline, definitions,
references and symbol quick open."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from cleanroom.tui.app import ReviewApp
from tests.ledgerkit import FlakyDisk, Kit
from tests.symbolskit import SOURCES

# Beside the polyglot tree: `twice` defined in two files (a chooser), an empty
# file, a file without definitions, one without a trailing newline, and a name
# spelled with a Cyrillic letter that looks like a Latin one.
EXTRA = {
    "c/one.c": b"int twice(void) { return 1; }\n",
    "c/two.c": b"static int twice(void)\n{\n  return 2;\n}\n",
    "c/empty.c": b"",
    "c/nosyms.c": b"/* nothing defined here */\n",
    "c/tail.c": b"int last_one(void) { return twice(); }",
    "py/look.py": "def \u0430dmin_ok():\n    pass\n".encode(),
}
FILES = {**SOURCES, **EXTRA}


# Built once a test process and vendor key, then only read (each test opens its own
# SnapshotSource): the same signed bytes every time, as `created` is fixed.
_BUILT: dict[bytes, Path] = {}


def symbols_source(kit: Kit, workdir: Path) -> SnapshotSource:
    """A real, vendor-signed snapshot of FILES with a symbol index, built once a
    process (`workdir` is not written: the snapshot lives in a private temporary
    directory removed at exit)."""
    key = bytes(kit.trust[0])
    if key not in _BUILT:
        home = Path(tempfile.mkdtemp(prefix="cleanroom-symbolnav-"))
        atexit.register(shutil.rmtree, home, True)
        src = home / "symbols-src"
        for rel, data in FILES.items():
            target = src / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        snapshot = home / "symbols.snapshot"
        create_snapshot(src, snapshot, kit.vendor, name="symbols", version="1.0", created=1,
                        symbols=True)  # fmt: skip
        _BUILT[key] = snapshot
    return SnapshotSource.from_file(_BUILT[key], kit.trust)


def symbols_app(kit: Kit, ledger_dir: Path, source: SnapshotSource | None = None,
                **kw) -> tuple[ReviewApp, FlakyDisk]:  # fmt: skip
    ledger = kit.new_ledger(ledger_dir)
    disk = FlakyDisk(ledger._conn)
    ledger._conn = disk
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "symbols 1.0", str(ledger.path))
    served = source if source is not None else symbols_source(kit, ledger_dir.parent)
    session = ReviewSession(Recorder(ledger), served, facts)
    kw.setdefault("countersigner", kit.reviewer)
    return ReviewApp(session, **kw), disk


def many_defines_source(kit: Kit, workdir: Path, defines: int) -> SnapshotSource:
    """A real, vendor-signed snapshot holding one header, `many.h`, of `defines`
    macros (`M_00000` on line 1, ...): an outline longer than a page (ADR 0127)."""
    src = workdir / "many-src"
    src.mkdir()
    (src / "many.h").write_bytes(b"".join(b"#define M_%05d %d\n" % (i, i) for i in range(defines)))
    snapshot = workdir / "many.snapshot"
    create_snapshot(src, snapshot, kit.vendor, name="many", version="1", created=1, symbols=True)
    return SnapshotSource.from_file(snapshot, kit.trust)
