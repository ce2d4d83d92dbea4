"""Following code over the recorder's socket (docs/protocol.md §4, version 4):
`outline`, `definitions` and `symbol_names` are recorded before they are
answered, refused out of order like `view`, and answered `no_symbols` (not a
refusal) when the snapshot has no index; and the terminal over that socket
(`review --connect`) goes to a definition it was answered."""

from __future__ import annotations

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.session.symbol_digest import symbols_digest
from cleanroom.snapshot.symbols.query import Symbol, SymbolIndex
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.symbols import SymbolListScreen
from tests.recorderkit import RawClient, cleanup, start
from tests.symbolnavkit import symbols_source
from tests.tuikit import sample_source

BLOB = "0" * 64


@pytest.fixture
def served(kit, ledger_dir):
    source = symbols_source(kit, ledger_dir.parent)
    running = start(kit, ledger_dir, source=source)
    yield running, source
    cleanup(running)


def _rows(answer: m.SymbolList) -> list[Symbol]:
    return [Symbol(r.path, r.display, r.line, r.name, r.kind) for r in answer.rows]


def test_symbol_requests_are_recorded_before_answered(served):
    running, source = served
    index = SymbolIndex(source.snapshot)
    client = RawClient(running.socket)
    client.hello()
    early = client.ask(m.Outline(path=b"c/list.c", blob=BLOB))
    assert isinstance(early, m.Refused) and early.reason == "order"
    o = client.ask(m.Open(path=b"c/list.c"))
    outline = client.ask(m.Outline(path=o.path, blob=o.blob))
    assert isinstance(outline, m.SymbolList)
    assert _rows(outline) == index.outline(b"c/list.c") and outline.total == len(outline.rows)
    last = running.entries()[-1]
    assert last.kind == "symbol_outline"
    assert last.payload["digest"] == symbols_digest(_rows(outline))
    defs = client.ask(m.Definitions(name="twice"))
    assert isinstance(defs, m.SymbolList) and defs.total == 2
    assert running.entries()[-1].payload == {"name": "twice", "places": 2, "listed": 2,
                                             "digest": symbols_digest(_rows(defs))}  # fmt: skip
    names = client.ask(m.SymbolNames(query="parse"))
    assert isinstance(names, m.SymbolNameList) and names.names == ["parse_expr"]
    assert running.entries()[-1].payload == {"query": "parse", "names": ["parse_expr"]}
    other = client.ask(m.Outline(path=o.path, blob=BLOB))
    assert isinstance(other, m.Refused) and other.reason == "order"
    # A later page (ADR 0127): recorded with its offset; past the last row, nothing.
    later = client.ask(m.Outline(path=o.path, blob=o.blob, offset=2))
    assert isinstance(later, m.SymbolList) and _rows(later) == _rows(outline)[2:]
    assert later.total == outline.total
    assert running.entries()[-1].payload["offset"] == 2
    recorded = len(running.entries())
    past = client.ask(m.Outline(path=o.path, blob=o.blob, offset=outline.total))
    assert isinstance(past, m.NoSymbols) and len(running.entries()) == recorded
    client.close()


def test_a_snapshot_without_an_index_answers_no_symbols_and_records_nothing(kit, ledger_dir):
    running = start(kit, ledger_dir, source=sample_source(kit, ledger_dir.parent))
    try:
        client = RawClient(running.socket)
        client.hello()
        for _ in range(80):  # more than the refusal budget (64): not refusals
            answer = client.ask(m.Definitions(name="main"))
            assert isinstance(answer, m.NoSymbols), answer
        assert "no symbol index" in answer.why
        kinds = running.kinds()
        assert "symbol_definitions" not in kinds and "refused" not in kinds
        client.close()
    finally:
        cleanup(running)


def test_a_version_3_terminal_is_refused(served):
    running, _ = served
    client = RawClient(running.socket)
    answer = client.ask(m.Hello(version=3))
    assert isinstance(answer, m.Refused) and answer.reason == "version"
    client.close()


async def test_the_terminal_over_the_socket_goes_to_a_definition(served):
    running, _ = served
    service = RemoteService(running.socket)
    app = ReviewApp(service)
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("enter")
        await pilot.press("d", *"twice", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, SymbolListScreen):
                break
        assert isinstance(app.screen, SymbolListScreen)
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.opened is not None:
                break
        assert app.opened.path == b"c/one.c"
        await pilot.press("o")
        await pilot.pause(0.2)
        assert isinstance(app.screen, SymbolListScreen)
        assert [s.name for s in app.screen.rows] == ["twice"]
    kinds = running.kinds()
    at = kinds.index("symbol_definitions")
    assert kinds[at + 1] == "file_open" and "symbol_outline" in kinds[at:]
    service.close()
