"""Big directories (issue 12): a directory of 100,000 files is listed a page at a
time, each page recorded as its own `tree_list` before its names are drawn, the
first page asked from a worker so the terminal answers keys while it is listed,
a "… N more" row that asks for the next page, and a replay that draws the same
names. In the terminal's own process (LocalService) and through a real recorder
on a real socket (RemoteService: the `review --connect` path)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cleanroom.forensics.replay import Replay
from cleanroom.forensics.timeline import read_timeline
from cleanroom.ledger.encoding import decode_body
from cleanroom.recorder.client import RemoteService
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.service import PAGE_NAMES
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.filetree import MORE, FileTree
from cleanroom.tui.replay.stage import stage_of
from tests import recorderkit
from tests.bigdirkit import BIG, big_opened, big_snapshot, name_of  # noqa: F401 (fixtures)
from tests.ledgerkit import FlakyDisk, Kit, read_rows
from tests.tuikit import listed

SIZE = (100, 40)


class Gated:
    """The real snapshot source, whose listings wait while `gate` is shut: a listing
    the test holds up for as long as it likes, to press keys meanwhile."""

    def __init__(self, source: Any) -> None:
        self.source, self.gate = source, threading.Event()
        self.gate.set()

    def children(self, path: bytes, limit: int | None = None) -> Any:
        assert self.gate.wait(60)
        return self.source.children(path, limit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)


@dataclass
class Served:
    app: ReviewApp
    disk: FlakyDisk
    ledger: Path
    source: Any

    def tree_lists(self, path: str) -> list[dict[str, Any]]:
        rows = [decode_body(b) for _, b, _ in read_rows(self.ledger)]
        return [e.payload for e in rows if e.kind == "tree_list" and e.payload["path"] == path]


@pytest.fixture(params=["local", "remote"])
def served(request, big_opened, tmp_path) -> Iterator[Served]:  # noqa: F811
    kit = Kit()
    source = Gated(big_opened)
    ledger_dir = tmp_path / "ledgers"
    ledger_dir.mkdir()
    if request.param == "local":
        ledger = kit.new_ledger(ledger_dir)
        disk = FlakyDisk(ledger._conn)
        ledger._conn = disk
        facts = Facts("Ada Reviewer", "Agency", "ws-01", "big 1", str(ledger.path))
        app = ReviewApp(ReviewSession(Recorder(ledger), source, facts))
        yield Served(app, disk, ledger.path, source)
        return
    running = recorderkit.start(kit, ledger_dir, source=source)
    service = RemoteService(running.socket)
    try:
        yield Served(ReviewApp(service), running.disks[-1], running.ledgers[-1], source)
    finally:
        service.close()
        recorderkit.cleanup(running)


def node(tree: FileTree, path: bytes):
    return next(n for n in tree.root.children if n.data.path == path)


def names(parent) -> list[bytes]:
    return [n.data.name for n in parent.children if n.data.kind != MORE]


def more_row(parent):
    rows = [n for n in parent.children if n.data.kind == MORE]
    assert len(rows) <= 1 and (not rows or rows[0] is parent.children[-1])
    return rows[0] if rows else None


async def opened(pilot) -> FileTree:
    await pilot.press("enter")  # past the start screen
    await listed(pilot)
    tree = pilot.app.query_one(FileTree)
    tree.focus()
    return tree


async def test_a_big_directory_pages_and_the_terminal_answers_keys_meanwhile(served):
    app = served.app
    async with app.run_test(size=SIZE) as pilot:
        tree = await opened(pilot)
        big = node(tree, b"big")
        tree.move_cursor(big)
        served.source.gate.clear()  # the listing takes as long as the test wants
        await pilot.press("space")  # listing 100,000 names starts in a worker
        line = tree.cursor_line
        await pilot.press("down")  # answered while the listing is under way
        assert tree.listing and tree.cursor_line == line + 1 and not big.children
        await pilot.press("up")
        assert tree.listing and tree.cursor_line == line
        served.source.gate.set()
        await listed(pilot, timeout=120)
        assert big.is_expanded
        want = [name_of(i).encode() for i in range(BIG)]
        assert names(big) == want[:PAGE_NAMES]
        assert str(more_row(big).label) == f"… {BIG - PAGE_NAMES:,} more"
        pages = served.tree_lists("big")
        assert pages == [{"path": "big", "entries": PAGE_NAMES, "start": 0, "total": BIG}]

        served.disk.full = True  # the next page cannot be recorded: not one name more
        tree.move_cursor(more_row(big))
        await pilot.press("enter")
        await listed(pilot)
        assert names(big) == want[:PAGE_NAMES] and more_row(big) is not None
        assert str(more_row(big).label) == f"… {BIG - PAGE_NAMES:,} more"
        served.disk.full = False

        await pilot.press("enter")  # the "more" row is still under the cursor
        await listed(pilot)
        assert names(big) == want[: 2 * PAGE_NAMES]
        assert str(more_row(big).label) == f"… {BIG - 2 * PAGE_NAMES:,} more"
        assert served.tree_lists("big")[1:] == [
            {"path": "big", "entries": PAGE_NAMES, "start": PAGE_NAMES, "total": BIG}
        ]
        drawn = [str(n.label) for n in big.children if n.data.kind != MORE]
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")

    replay = Replay(read_timeline(served.ledger, Kit().trust), served.source.source)
    steps = [i for i, s in enumerate(replay.steps)
             if s.entry.kind == "tree_list" and s.entry.payload["path"] == "big"]  # fmt: skip
    again = [r.plain for i in steps for r in stage_of(replay, i).rows]
    assert again == drawn  # the replay draws the names the reviewer saw, page by page
    assert "1-500 of 100,000 names" in stage_of(replay, steps[0]).banner.plain


@pytest.mark.parametrize(("directory", "count"),
                         [("empty", 0), ("one", 1), ("page", PAGE_NAMES),
                          ("page_and_one", PAGE_NAMES + 1)])  # fmt: skip
async def test_boring_directory_sizes(served, directory, count):
    app = served.app
    async with app.run_test(size=SIZE) as pilot:
        tree = await opened(pilot)
        d = node(tree, directory.encode())
        tree.move_cursor(d)
        await pilot.press("space")
        await listed(pilot)
        assert d.is_expanded
        first = min(count, PAGE_NAMES)
        assert names(d) == [name_of(i).encode() for i in range(first)]
        pages = [{"path": directory, "entries": first, "start": 0, "total": count}]
        assert served.tree_lists(directory) == pages
        if count <= PAGE_NAMES:
            assert more_row(d) is None
            return
        assert str(more_row(d).label) == "… 1 more"
        tree.move_cursor(more_row(d))
        await pilot.press("enter")
        await listed(pilot)
        assert names(d) == [name_of(i).encode() for i in range(count)] and more_row(d) is None
        pages.append({"path": directory, "entries": 1, "start": PAGE_NAMES, "total": count})
        assert served.tree_lists(directory) == pages

        tree.move_cursor(d)
        await pilot.press("space", "space")  # shut, and open again: both pages again
        await listed(pilot)
        assert served.tree_lists(directory) == pages + pages
        assert names(d) == [name_of(i).encode() for i in range(count)]


def test_each_page_is_a_bounded_frame(big_opened, tmp_path):  # noqa: F811
    """Pages through the protocol: start and limit honoured, each recorded, and a
    start past the end refused (`bounds`), recorded, the connection kept."""
    from cleanroom.recorder import messages as m

    kit = Kit()
    ledger_dir = tmp_path / "ledgers"
    ledger_dir.mkdir()
    running = recorderkit.start(kit, ledger_dir, source=big_opened)
    try:
        client = recorderkit.RawClient(running.socket)
        client.hello()
        assert isinstance(client.ask(m.Tree(path=b"")), m.Listing)
        page = client.ask(m.Tree(path=b"big", start=99_990, limit=500))
        assert isinstance(page, m.Listing) and (page.start, page.total) == (99_990, BIG)
        assert [i.name for i in page.items] == [name_of(i).encode() for i in range(99_990, BIG)]
        end = client.ask(m.Tree(path=b"big", start=BIG))  # an empty page at the end
        assert isinstance(end, m.Listing) and end.items == []
        past = client.ask(m.Tree(path=b"big", start=BIG + 1))
        assert isinstance(past, m.Refused) and past.reason == "bounds"
        too_many = client.ask(m.Tree(path=b"big", limit=501))  # over the page: malformed
        assert isinstance(too_many, m.Refused) and too_many.reason == "malformed"
        assert isinstance(client.ask(m.Status()), m.State)  # still served
        lists = [e.payload for e in running.entries() if e.kind == "tree_list"]
        assert lists[1:] == [{"path": "big", "entries": 10, "start": 99_990, "total": BIG},
                             {"path": "big", "entries": 0, "start": BIG, "total": BIG}]  # fmt: skip
    finally:
        recorderkit.cleanup(running)


def test_tree_pages_stay_under_a_byte_budget(big_opened, tmp_path):  # noqa: F811
    """A page ends where its names pass the byte budget (names far longer than
    these would otherwise pass the 8 MB frame), recorded as the names it holds."""
    kit = Kit()
    ledger_dir = tmp_path / "ledgers"
    ledger_dir.mkdir()
    ledger = kit.new_ledger(ledger_dir)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "big 1", str(ledger.path))
    service = LocalService(ReviewSession(Recorder(ledger), big_opened, facts))
    service.page_bytes = 10 * (len(b"big/f000000.c") + len(b"f000000.c") + 32)
    page = service.tree(b"big", 0, PAGE_NAMES)
    assert page is not None and len(page.entries) == 10 and page.total == BIG
    service.page_bytes = 1  # never less than one name
    page = service.tree(b"big", 7, PAGE_NAMES)
    assert page is not None and [e.name for e in page.entries] == [name_of(7).encode()]
    rows = [decode_body(b) for _, b, _ in read_rows(ledger.path)]
    assert [e.payload for e in rows if e.kind == "tree_list"] == [
        {"path": "big", "entries": 10, "start": 0, "total": BIG},
        {"path": "big", "entries": 1, "start": 7, "total": BIG}]  # fmt: skip
    assert os.path.exists(ledger.path)


async def test_a_lock_lifted_records_each_shown_page_again(served):
    app = served.app
    async with app.run_test(size=SIZE) as pilot:
        tree = await opened(pilot)
        d = node(tree, b"page_and_one")
        tree.move_cursor(d)
        await pilot.press("space")
        await listed(pilot)
        tree.move_cursor(more_row(d))
        await pilot.press("enter")
        await listed(pilot)
        before = served.tree_lists("page_and_one")
        app._lock_idle()
        await pilot.pause()
        await pilot.press("x")  # any key lifts the idle lock; the tree is listed again
        await listed(pilot)
        assert served.tree_lists("page_and_one") == before + before
        assert len(names(d)) == PAGE_NAMES + 1 and more_row(d) is None
