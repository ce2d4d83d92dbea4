"""atk15 (issue 15, outside attack): a symbol index the vendor signed, holding rows
`snapshot verify` names as SYMBOL_ROW (names of thousands of characters, control
and bidi characters, markup; a kind that is not a word), reaches the terminal.

`review` checks only that the table is the signed one (its digest), not what the
rows are, and the query API skips only rows outside their file or not UTF-8. So
every such name is listed: in the outline (drawn by an OptionList that wraps each
prompt, 4.6 s of the event loop's CPU for 100 names of 20,000 characters, 6.5 s
for 3 of 1 MiB: no key, no status, no lock meanwhile) and in symbol quick open,
whose entry records the names whole (1 MB a keystroke, at the entry limit; names
of 1 MiB make every keystroke a `recording_failed`). Held: nothing is drawn
unsanitized and nothing unrecorded is shown. The rows checked here are exactly
what `snapshot/symbols/rows.py` already refuses when building and when verifying.
"""

from __future__ import annotations

from pathlib import Path

from cleanroom.ledger.encoding import decode_body
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.symbols.rows import name_problem
from cleanroom.tui.screens.symbols import SymbolListScreen, SymbolQuickOpenScreen
from tests.ledgerkit import read_rows
from tests.snapshotkit import resign
from tests.symbolnavkit import symbols_app, symbols_source
from tests.symbolskit import flat_edited

SIZE = (80, 24)
APP = (
    "(SELECT b.rowid FROM blobs b JOIN files f ON f.blob = b.hash"
    " WHERE f.path = CAST('py/app.py' AS BLOB))"
)
LONG = "[link=https://evil.example]x[/link]\x1b[2J\u202e" + "N" * 5_000
HOSTILE = [
    (6, LONG + "1", "function"),  # line 7 of py/app.py: `def main():`
    (6, LONG + "2", "function"),
    (6, "ma\nin", "function"),
    (3, "read_all", "k" * 5_000),  # a kind that is not a word of at most 32 letters
]


def hostile_source(kit, workdir: Path) -> SnapshotSource:
    """The symbols snapshot with HOSTILE rows added and signed again by the
    vendor: what a hostile vendor, or a thief of its key, can hand the room."""
    genuine = symbols_source(kit, workdir).snapshot.path
    rows = [(f"INSERT INTO flat VALUES ({APP}, ?, ?, ?)", row) for row in HOSTILE]
    data = resign(flat_edited(Path(genuine).read_bytes(), *rows), kit.vendor)
    path = workdir / "hostile.snapshot"
    path.write_bytes(data)
    return SnapshotSource.from_file(path, kit.trust)


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


def fit(name: str, kind: str) -> bool:
    """A row `snapshot/symbols/rows.py` lets through: what create keeps."""
    return name_problem(name.encode()) is None and kind.isascii() and len(kind) <= 32


async def until(pilot, check, tries: int = 200):
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError("never came")


async def test_an_outline_lists_no_row_that_create_would_have_dropped(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir, source=hostile_source(kit, ledger_dir.parent))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+p", *"py/app.py", "enter")
        await until(pilot, lambda: app.opened is not None)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, SymbolListScreen))
        listed = [(s.name, s.kind) for s in app.screen.rows]
        assert ("main", "function") in listed  # the genuine rows are there
        assert all(fit(name, kind) for name, kind in listed), [
            (len(n), len(k)) for n, k in listed if not fit(n, k)
        ]


async def test_symbol_quick_open_lists_and_records_no_name_create_would_drop(kit, ledger_dir):
    app, _ = symbols_app(kit, ledger_dir, source=hostile_source(kit, ledger_dir.parent))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+t", "e")
        await until(pilot, lambda: isinstance(app.screen, SymbolQuickOpenScreen)
                    and app.screen.shown_for == "e")  # fmt: skip
        shown = list(app.screen.shown)
    recorded = [e.payload["names"] for e in entries(app) if e.kind == "symbol_quick_open"]
    assert recorded and recorded[-1] == shown  # held: listed as recorded
    assert "Reader" in shown
    assert all(name_problem(n.encode()) is None for n in shown), [len(n) for n in shown]
