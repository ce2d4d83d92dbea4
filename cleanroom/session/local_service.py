"""`LocalService`: the `ReviewService` over a `ReviewSession` in the same process.

It keeps the opened documents and the search hits to itself and hands the
terminal only what each recorded entry names (session/service.py). The
recorder serves the same answers over its socket (cleanroom/recorder).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..notes.model import Draft, Note, NoteError
from ..snapshot.search import SearchCancelled
from .crash import end_after_crash
from .display import MAX_LINE_BYTES
from .events import Alert, path_fields
from .find_in_file import FileHits, find_in
from .first_page import FirstPage
from .name_matcher import SECONDS, WORK, Matched, NameMatcher
from .paragraph import paragraph_line
from .pathmatch import Cancelled
from .recorder import RecordingError
from .review import Found, Ran, ReviewSession
from .service import (
    PAGE_BYTES,
    PAGE_NAMES,
    FileFacts,
    NoteList,
    Page,
    Results,
    Screen,
    SymbolRows,
    screen_lines,
)
from .source import Entry, Opened
from .symbols import SessionSymbols
from .wrap import wrapped_screen

SHOWN_NAMES = 100  # paths a quick-open list shows at most
# Bytes of names one quick-open list records at most, as JSON: a deep tree's paths may be
# far longer than PATH_MAX, and 100 of them would pass a ledger entry (1 MiB) and the
# recorder's frame (8 MB). A list holds the first names that fit (none, if the first does
# not); its `matches` still counts them all.
SHOWN_BYTES = 512 << 10
KEEP_OPENED = 4  # documents kept for views (the one shown, and any being opened)
KEEP_SEARCHES = 4
# Names of sorted directory listings kept for their next pages, counted by name, not by
# directory: kept by directory (4), a terminal asking for five in turn made the recorder
# list a directory of 100,000 names again at every request (attack on issue 12).
KEEP_LISTED = 300_000


class LocalService:
    def __init__(self, session: ReviewSession) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._opened: OrderedDict[tuple[bytes, str], Opened] = OrderedDict()
        self._found: OrderedDict[int, Found] = OrderedDict()
        self._matcher: NameMatcher | None = None
        self._listings: OrderedDict[bytes, list[Entry]] = OrderedDict()
        self.page_bytes = PAGE_BYTES  # bytes of names in one page (a test may lower it)
        self.names_budget = (WORK, SECONDS)  # one quick-open request's (a test may change it)
        self.symbols = SessionSymbols(session.source)  # checked at its first use

    # -- facts ------------------------------------------------------------------

    @property
    def facts(self) -> Any:
        return self.session.facts

    @property
    def root_name(self) -> str:
        return self.session.source.name

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def entries(self) -> int:
        return self.session.entries

    @property
    def alerts(self) -> int:
        return self.session.alerts

    @property
    def failure(self) -> str | None:
        return self.session.failure

    @property
    def shown_witness(self) -> tuple[int, str]:
        return self.session.shown_witness

    @property
    def guarded(self) -> bool:
        return self.session.guard is not None

    # -- names ------------------------------------------------------------------

    def tree(self, directory: bytes, start: int = 0, limit: int = PAGE_NAMES) -> Page | None:
        children = self._listing(directory)
        if not 0 <= start <= len(children):
            raise IndexError(f"name {start} of a listing of {len(children)}")
        page = _page(children, start, max(1, min(limit, PAGE_NAMES)), self.page_bytes)
        if not self.session.tree_list(directory, len(page), start, len(children)):
            return None
        return Page(page, start, len(children))

    def _listing(self, directory: bytes) -> list[Entry]:
        """The directory's sorted entries, kept for the next pages (listing a
        directory of 100,000 names takes a second)."""
        with self._lock:
            kept = self._listings.get(directory)
            if kept is not None:
                self._listings.move_to_end(directory)
                return kept
        children = self.session.source.children(directory)
        with self._lock:
            self._listings[directory] = children
            kept_names = sum(len(k) for k in self._listings.values())
            while kept_names > KEEP_LISTED and len(self._listings) > 1:
                kept_names -= len(self._listings.popitem(last=False)[1])
        return children

    def names(self, query: str, cancelled: Callable[[], bool]) -> Matched | None:
        with self._lock:
            if self._matcher is None:
                paths = self.session.source.files()
                self._matcher = NameMatcher(paths, SHOWN_NAMES, *self.names_budget)
            matcher = self._matcher
        found = matcher.match(query, cancelled)
        if cancelled():
            raise Cancelled(query)
        found = replace(found, paths=_within(found.paths, SHOWN_BYTES))
        return found if self.session.quick_open_list(query, found) else None

    def quick_open(self, query: str, matches: int) -> None:
        self.session.quick_open(query, matches)

    # -- files ------------------------------------------------------------------

    def size_of(self, path: bytes) -> int:
        return self.session.source.size_of(path)

    def open_file(self, path: bytes) -> FileFacts:
        opened = self.session.open_file(path)
        doc = opened.document
        with self._lock:
            self._opened[(opened.path, opened.blob)] = opened
            self._opened.move_to_end((opened.path, opened.blob))
            while len(self._opened) > KEEP_OPENED:
                self._opened.popitem(last=False)
        return FileFacts(opened.path, doc.name, opened.blob, opened.size, doc.line_count,
                         doc.max_line_bytes, doc.binary, dict(opened.flags),
                         list(opened.flagged_lines))  # fmt: skip

    def _document_of(self, facts: FileFacts) -> Opened | None:
        with self._lock:
            return self._opened.get((facts.path, facts.blob))

    def view(self, opened: FileFacts, first: int, last: int, col: int, cols: int,
             wrap: int = 0) -> Screen | None:  # fmt: skip
        held = self._document_of(opened)
        count = opened.lines
        if held is None or not 1 <= first <= last <= max(count, 1) or col < 0 or cols < 0:
            return None
        if wrap:
            return self._wrapped(held, first, last, cols, wrap)
        if not self.session.record_view(held, first, last, col, cols):
            return None
        raw = held.document.lines(first - 1, last)
        return Screen(first, screen_lines(raw, col, cols), [len(x) for x in raw], col)

    def _wrapped(self, held: Any, first: int, last: int, cols: int, wrap: int) -> Screen | None:
        """A wrapped view (ADR 0212): lines from `first` laid out in `wrap` rows of
        `cols` cells; `last` is where the layout ends (at most the one asked for),
        and that is what is recorded, then answered."""
        if cols < 1 or wrap < 1:
            return None
        stop = min(last, first - 1 + wrap)  # a line takes one row at least
        raw = held.document.lines(first - 1, stop)
        sizes = [len(x) for x in raw]
        lines = wrapped_screen([x[:MAX_LINE_BYTES] for x in raw], sizes, wrap, cols)
        shown_last = first + len(lines) - 1
        if not self.session.record_view(held, first, shown_last, 0, cols, wrap):
            return None
        # Answered from the lines read after the view was recorded, as a cut view is:
        # a chunked document checks what it reads there (ADR 0109).
        raw = held.document.lines(first - 1, shown_last)
        sizes = [len(x) for x in raw]
        lines = wrapped_screen([x[:MAX_LINE_BYTES] for x in raw], sizes, wrap, cols)
        return Screen(first, lines, sizes, 0)

    def goto(self, opened: FileFacts, line: int) -> None:
        held = self._document_of(opened)
        if held is None:
            raise KeyError(opened.path)
        self.session.goto(held, line)

    def paragraph(self, opened: FileFacts, line: int, forward: bool) -> int:
        held = self._document_of(opened)
        if held is None:
            raise KeyError(opened.path)
        target = paragraph_line(held.document, line, forward)
        self.session.goto(held, target)
        return target

    def find(self, opened: FileFacts, query: str, case: bool) -> FileHits:
        """Find `query` in the open file; record `find`, then answer where it is.
        Raises KeyError (not the open file), ValueError (a bad query) or
        RecordingError (nothing may be shown)."""
        held = self._document_of(opened)
        if held is None:
            raise KeyError(opened.path)
        hits = find_in(held.document, query, case)
        self.session.find(held, query, case, hits.total)
        return hits

    def mark(self, opened: FileFacts, mark: str, line: int) -> None:
        held = self._document_of(opened)
        if held is None:
            raise KeyError(opened.path)
        self.session.mark(held, mark, line)

    # -- symbols (session/symbols.py) ---------------------------------------------

    def outline(self, opened: FileFacts, offset: int = 0) -> SymbolRows:
        held = self._document_of(opened)
        if held is None:
            raise KeyError(opened.path)
        rows, total = self.symbols.outline(held.path, offset)
        self.session.symbol_outline(held, rows, total, offset)
        return SymbolRows(rows, total, offset)

    def definitions(self, name: str) -> SymbolRows:
        found = self.symbols.definitions(name)
        self.session.symbol_definitions(name, found.count, found.candidates)
        return SymbolRows(found.candidates, found.count)

    def symbol_names(self, typed: str) -> list[str]:
        names = self.symbols.names(typed)
        self.session.symbol_quick_open(typed, names)
        return names

    # -- search -----------------------------------------------------------------

    def search(self, query: Any, running: list[Any] | None = None,
               first: Callable[[Results], None] | None = None) -> Results:  # fmt: skip
        on_first = None
        if first is not None:

            def on_first(page: FirstPage) -> None:
                try:
                    results = self.record_first(page)
                except RecordingError:
                    return  # not recorded, not shown; the whole result may still be
                first(results)

        try:
            ran = self.run_search(query, running, on_first)
        except SearchCancelled:
            with contextlib.suppress(RecordingError):  # stopped all the same
                self.session.record_cancel(query, "reviewer")
            raise
        return self.record_search(ran)

    def run_search(self, query: Any, running: list[Any] | None = None,
                   first: Callable[[FirstPage], None] | None = None) -> Ran:  # fmt: skip
        """The pass alone, recording nothing: safe in a worker thread while another
        thread records (the recorder's search job). `first` gets the first page if
        it fills before the pass ends. Raises SearchError."""
        return self.session.run_search(query, running, first)

    def record_first(self, page: FirstPage) -> Results:
        """Record `search_start`; only then may the first page's rows be asked for.
        Raises RecordingError."""
        return self._keep(self.session.record_first(page))

    def record_search(self, ran: Ran) -> Results:
        """Record a finished pass; only then may its rows be asked for. Raises
        RecordingError."""
        return self._keep(self.session.record_search(ran))

    def _keep(self, found: Found) -> Results:
        with self._lock:
            self._found[found.seq] = found
            while len(self._found) > KEEP_SEARCHES:
                self._found.popitem(last=False)
        return Results(found.seq, len(found.hits), found.total, found.digest, found.done)

    def _hits_of(self, results: Results) -> Found | None:
        with self._lock:
            return self._found.get(results.seq)

    def rows(self, results: Results, first: int, last: int) -> list[Any] | None:
        found = self._hits_of(results)
        if found is None or not 0 <= first <= last < len(found.hits):
            return None
        if not self.session.record_results_view(found, first, last):
            return None
        return found.hits[first : last + 1]

    def result_at(self, results: Results, index: int) -> tuple[bytes, int] | None:
        found = self._hits_of(results)
        if found is None or not 0 <= index < len(found.hits):
            return None
        hit = found.hits[index]
        return hit.path, hit.line

    # -- notes --------------------------------------------------------------------

    def save_note(self, draft: Draft, note_id: str | None = None) -> Note:
        lines = None
        if note_id is None:  # a new note is on a file opened in this session
            held = self._document_of_place(draft.place.path, draft.place.blob)
            if held is None:
                raise NoteError("a new note is on the file last opened")
            lines = held.document.line_count
        return self.session.save_note(draft, note_id, lines)

    def _document_of_place(self, path: bytes, blob: str) -> Opened | None:
        with self._lock:
            return self._opened.get((path, blob))

    def withdraw_note(self, note_id: str) -> Note:
        return self.session.withdraw_note(note_id)

    def notes(self) -> NoteList:
        book = self.session.notes
        return NoteList(book.current(), book.withdrawn(), list(book.earlier))

    # -- the rest, as the session does it ---------------------------------------

    def blocked(self, action: str, detail: str = "") -> None:
        self.session.blocked(action, detail)

    def signalled(self, name: str, detail: str) -> None:
        self.session.recorder.record(Alert("signal", detail, "end"))

    def blocked_key(self, key: str, now: float | None = None) -> None:
        self.session.blocked_key(key, now)

    def flush_blocked(self, now: float | None = None, force: bool = False) -> None:
        self.session.flush_blocked(now, force)

    def unlock(self, lock: str, locked_s: float, shown: int) -> None:
        self.session.unlock(lock, locked_s, shown)

    def idle(self, after_s: int) -> float:
        return self.session.idle(after_s)

    def active(self, since: float) -> None:
        self.session.active(since)

    def witness(self) -> tuple[int, str]:
        return self.session.witness()

    def retry(self) -> bool:
        return self.session.retry()

    def check_alerts(self) -> Any:
        return self.session.check_alerts()

    def seal(self, countersigner: object = None, reason: str = "reviewer") -> Any:
        return self.session.seal(countersigner, reason)

    def after_crash(self, error: BaseException, countersigner: object) -> Any:
        return end_after_crash(self.session, error, countersigner)


def _page(children: list[Entry], start: int, limit: int, budget: int) -> list[Entry]:
    """Up to `limit` entries from `start` whose paths and names fit in `budget`
    bytes; at least one, if any is left (a single name is far below any frame)."""
    out: list[Entry] = []
    used = 0
    for entry in children[start : start + limit]:
        used += len(entry.path) + len(entry.name) + 32
        if out and used > budget:
            break
        out.append(entry)
    return out


def _within(paths: list[bytes], budget: int) -> list[bytes]:
    """The first of `paths` whose recorded form fits in `budget` bytes (ASCII JSON,
    at least as long as the ledger's)."""
    used = 0
    for i, path in enumerate(paths):
        used += len(json.dumps(path_fields(path))) + 2
        if used > budget:
            return paths[:i]
    return paths
