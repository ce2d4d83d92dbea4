"""atk15 F1: what a vendor-signed symbol index with long names costs the terminal.

    .venv/bin/python scripts/attack/atk15_hostile_names.py ROWS CHARS

Adds ROWS definitions named with CHARS characters (and markup, ESC, bidi) on one
line of py/app.py in the symbols test snapshot, signs it again with the test
vendor key, then in a real ReviewApp (Pilot, 80x24, in-process service, real
ledger) opens the outline and types five keystrokes into symbol quick open.
Prints the CPU time of each (process CPU: the event loop's work) and the size of
each `symbol_quick_open` entry. Not a test: numbers for docs/attacks/atk15-session14.md.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cleanroom.ledger.encoding import decode_body  # noqa: E402
from cleanroom.session.snapshot_source import SnapshotSource  # noqa: E402
from cleanroom.tui.screens.symbols import SymbolListScreen  # noqa: E402
from tests.ledgerkit import Kit, read_rows  # noqa: E402
from tests.snapshotkit import resign  # noqa: E402
from tests.symbolnavkit import symbols_app, symbols_source  # noqa: E402
from tests.symbolskit import flat_edited  # noqa: E402

APP = (
    "(SELECT b.rowid FROM blobs b JOIN files f ON f.blob = b.hash"
    " WHERE f.path = CAST('py/app.py' AS BLOB))"
)


async def run(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+p", *"py/app.py", "enter")
        while app.opened is None:
            await pilot.pause(0.05)
        t = time.process_time()
        await pilot.press("o")
        while not isinstance(app.screen, SymbolListScreen):
            await pilot.pause(0.01)
        await pilot.pause()
        print(f"outline: {len(app.screen.rows)} rows, {time.process_time() - t:.2f} s CPU")
        await pilot.press("escape")
        t = time.process_time()
        await pilot.press("ctrl+t", *"[link")
        while getattr(app.screen, "shown_for", None) != "[link":
            await pilot.pause(0.05)
        await pilot.pause()
        print(f"quick open, 5 keystrokes: {time.process_time() - t:.2f} s CPU")
        await pilot.press("escape")


def main() -> None:
    rows, chars = int(sys.argv[1]), int(sys.argv[2])
    kit = Kit()
    work = Path(tempfile.mkdtemp(prefix="atk15-"))
    (work / "l").mkdir()
    genuine = symbols_source(kit, work).snapshot.path
    name = "[link=https://evil.example]x[/link]\x1b[2J\u202e" + "N" * chars
    inserts = [(f"INSERT INTO flat VALUES ({APP}, 6, ?, 'function')", (name + str(i),))
               for i in range(rows)]  # fmt: skip
    hostile = work / "hostile.snapshot"
    hostile.write_bytes(resign(flat_edited(Path(genuine).read_bytes(), *inserts), kit.vendor))
    app, _ = symbols_app(kit, work / "l", source=SnapshotSource.from_file(hostile, kit.trust))
    asyncio.run(run(app))
    for _, body, _ in read_rows(app.session.recorder.ledger.path):
        entry = decode_body(body)
        if entry.kind in ("symbol_quick_open", "recording_failed"):
            print(f"{entry.kind}: {len(body):,} bytes")


if __name__ == "__main__":
    main()
