"""`ReviewService`: everything the reviewer terminal may ask for, and nothing more.

The terminal (cleanroom/tui) talks only to this interface. Each method records
its entry first and then answers with exactly what the entry names: a `view`
answers the lines it records (`Screen`), a `search_results_view` the rows, a
`tree_list` the names, a `quick_open_list` the paths. No answer carries source
that was not recorded, so the terminal never holds more than it was shown.

Two implementations: `LocalService` (session/local_service.py) over a
`ReviewSession` in the same process, and `RemoteService`
(recorder/client.py) over the recorder's socket (docs/protocol.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..notes.model import Draft, Note
from .display import MAX_LINE_BYTES, visible
from .name_matcher import Matched
from .source import Entry

MAX_VIEW_LINES = 500  # lines in one view (a screen is far fewer)
MAX_VIEW_COLS = 1000  # columns in one view
PAGE_NAMES = 500  # names of a directory one listing step carries at most
PAGE_BYTES = 4 << 20  # bytes of paths and names one listing step carries at most


@dataclass(frozen=True)
class FileFacts:
    """An opened file, without its content: what `file_open` records, and what the
    code view needs to lay the file out (its widest line, which lines are tagged)."""

    path: bytes
    name: str  # the display path (chooses the lexer); untrusted: sanitize to show
    blob: str
    size: int
    lines: int
    max_line_bytes: int
    binary: bool
    flags: dict[str, int] = field(default_factory=dict)
    flagged_lines: list[int] = field(default_factory=list)  # 1-based, ascending


@dataclass(frozen=True)
class Screen:
    """The answer to a recorded `view`: lines first..first+len(lines)-1 (1-based), each
    as the display cells from column `col` that the view names (`screen_lines`), with
    each line's full size in bytes."""

    first: int
    lines: list[bytes]
    sizes: list[int]
    col: int = 0


@dataclass(frozen=True)
class Page:
    """The answer to a recorded `tree_list`: `entries`, the names from position
    `start` of the directory's sorted listing, which holds `total` names."""

    entries: list[Entry]
    start: int
    total: int

    @property
    def after(self) -> int:
        """The position of the first name not in this page."""
        return self.start + len(self.entries)


@dataclass(frozen=True)
class Results:
    """A recorded search: its ledger seq, how many rows may be asked for, the totals.
    No rows: those come, recorded, from `ReviewService.rows`. `done` False: the
    first page of a search still running (`search_start`): `kept` rows, and
    `total` is only the hits found so far."""

    seq: int
    kept: int
    total: int
    digest: str
    done: bool = True


@dataclass(frozen=True)
class SymbolRows:
    """A recorded outline or definitions list: the rows shown
    (snapshot.symbols.query.Symbol: path, display, 0-based line, name, kind) and
    how many there are in all (the list may be cut); an outline's later page
    follows its first `offset` rows (ADR 0127)."""

    rows: list[Any]
    total: int
    offset: int = 0


@dataclass(frozen=True)
class NoteList:
    """The notes the notes pane lists: this session's current and withdrawn ones,
    and earlier sessions' on the same snapshot (when the recorder has them)."""

    current: list[Note]
    withdrawn: list[Note]
    earlier: list[Note]


class ReviewService(Protocol):
    """What the terminal may ask. Methods that record raise RecordingError, or
    return None where the docstring says "None: show nothing"."""

    @property
    def facts(self) -> Any: ...  # session.review.Facts
    @property
    def root_name(self) -> str: ...
    @property
    def session_id(self) -> str: ...
    @property
    def entries(self) -> int: ...
    @property
    def alerts(self) -> int: ...
    @property
    def failure(self) -> str | None: ...
    @property
    def shown_witness(self) -> tuple[int, str]: ...
    @property
    def guarded(self) -> bool: ...

    def tree(self, directory: bytes, start: int = 0, limit: int = PAGE_NAMES) -> Page | None:
        """Record `tree_list` for a page of the directory's entries, from `start`: at
        most `limit` names and PAGE_BYTES of paths and names, at least one name if any
        is left; return it. None: show nothing. Raises IndexError when `start` is past
        the end of the listing (nothing recorded)."""
        ...

    def names(self, query: str, cancelled: Callable[[], bool]) -> Matched | None:
        """Match `query` against the paths, within one request's budget (the match
        may stop early: `searched` < `total`), record `quick_open_list` for the
        paths to list and how far it got, and return that. None: list nothing.
        Raises pathmatch.Cancelled (nothing recorded) when `cancelled()` turns true."""
        ...

    def quick_open(self, query: str, matches: int) -> None: ...

    def size_of(self, path: bytes) -> int:
        """A file's size (the tree shows sizes too). Raises KeyError."""
        ...

    def open_file(self, path: bytes) -> FileFacts:
        """Record `file_open`. Raises KeyError, RecordingError, or ContentRefused
        (recorded as `blocked`)."""
        ...

    def view(self, opened: FileFacts, first: int, last: int, col: int, cols: int,
             wrap: int = 0) -> Screen | None:  # fmt: skip
        """Record a viewport and return its lines. None: paint nothing. `wrap` (rows):
        the lines wrap (ADR 0212, session/wrap.py) from `first` on a screen of `wrap`
        rows of `cols` cells; the answer holds the lines with a row on screen (at most
        to `last`), each its shown rows joined by a line break."""
        ...

    def goto(self, opened: FileFacts, line: int) -> None: ...

    def paragraph(self, opened: FileFacts, line: int, forward: bool) -> int:
        """`}` (forward) or `{` from `line`: find the line to go to in the open file
        (session/paragraph.py), record it as a `goto`, then answer it. Raises
        RecordingError (do not move), ValueError (not a line of the file),
        KeyError, or ContentRefused (a chunk read is not the signed one)."""
        ...

    def find(self, opened: FileFacts, query: str, case: bool) -> Any:
        """Find `query` in the open file, record `find`, and answer its hits
        (session.find_in_file.FileHits: positions, never text). Raises
        RecordingError (show none), ValueError (a bad query) or KeyError."""
        ...

    def mark(self, opened: FileFacts, mark: str, line: int) -> None:
        """Record `mark` (a letter) set at `line`. Raises RecordingError."""
        ...

    def outline(self, opened: FileFacts, offset: int = 0) -> SymbolRows:
        """Record `symbol_outline` for a page of the open file's definitions (those
        after its first `offset`; session.symbols.OUTLINE_LIMIT at most), then
        answer them. Raises SymbolsUnavailable (no index, or not the signed one: its
        message says so), KeyError or RecordingError."""
        ...

    def definitions(self, name: str) -> SymbolRows:
        """Record `symbol_definitions` for where `name` is defined, then answer the
        places. Raises SymbolsUnavailable or RecordingError."""
        ...

    def symbol_names(self, typed: str) -> list[str]:
        """Record `symbol_quick_open` for the symbol names matching `typed`, then
        answer them. Raises SymbolsUnavailable or RecordingError."""
        ...

    def search(self, query: Any, running: list[Any] | None = None,
               first: Callable[[Results], None] | None = None) -> Results:  # fmt: skip
        """Run and record a search. If its first page is found before the pass ends,
        it is recorded (`search_start`) and handed to `first` (from the searching
        thread) while the pass goes on. Raises SearchError or RecordingError."""
        ...

    def rows(self, results: Results, first: int, last: int) -> list[Any] | None:
        """Record `search_results_view` for rows first..last and return them. None:
        show none."""
        ...

    def result_at(self, results: Results, index: int) -> tuple[bytes, int] | None:
        """Where result `index` is (path, 0-based line), for `n`/`N`, from the rows
        already answered; None if that row was never recorded as shown."""
        ...

    def save_note(self, draft: Draft, note_id: str | None = None) -> Note:
        """Record a note (new, or the next version of `note_id`, which keeps its
        place); only a returned note is saved. A new note is on the file last
        opened. Raises NoteError (a limit; nothing recorded) or RecordingError
        (not saved)."""
        ...

    def withdraw_note(self, note_id: str) -> Note:
        """Record `note_withdraw`. Raises NoteError or RecordingError."""
        ...

    def notes(self) -> NoteList:
        """The notes to list (nothing recorded: they are all in ledgers already).
        Raises RecordingError when the recorder cannot be asked."""
        ...

    def blocked(self, action: str, detail: str = "") -> None: ...
    def signalled(self, name: str, detail: str) -> None:
        """Record that signal `name` came from outside and ends the session
        (raises RecordingError when it cannot be recorded)."""

    def blocked_key(self, key: str, now: float | None = None) -> None: ...
    def flush_blocked(self, now: float | None = None, force: bool = False) -> None: ...
    def unlock(self, lock: str, locked_s: float, shown: int) -> None: ...
    def idle(self, after_s: int) -> float: ...
    def active(self, since: float) -> None: ...
    def witness(self) -> tuple[int, str]: ...
    def retry(self) -> bool: ...
    def check_alerts(self) -> Any: ...  # session.review.AlertCheck
    def seal(self, countersigner: object = None, reason: str = "reviewer") -> Any: ...
    def after_crash(self, error: BaseException, countersigner: object) -> Any: ...


def screen_lines(raw: list[bytes], col: int, cols: int) -> list[bytes]:
    """What a view of columns col..col+cols-1 carries of each raw line: exactly
    those display cells (session/display.py), UTF-8; nothing left or right of them."""
    return [visible(x[:MAX_LINE_BYTES], len(x), col, cols).encode("utf-8") for x in raw]
