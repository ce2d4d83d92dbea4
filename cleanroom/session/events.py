"""The reviewer event vocabulary: one small dataclass per ledger kind.

docs/events.md describes each kind; tests/test_docs.py keeps the two in step.
Paths are recorded exactly: `path` when the raw name is UTF-8, otherwise
`path_b64` holds the raw bytes (see `path_fields`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..ledger.events import Event

# Defined with the limits they belong to (notes/model.py); named here with the vocabulary.
from ..notes.model import NOTE_KINDS as NOTE_KINDS
from ..notes.model import SEVERITIES as SEVERITIES


def path_fields(raw: bytes) -> dict[str, str]:
    """The exact path as JSON-safe fields."""
    try:
        return {"path": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"path_b64": base64.b64encode(raw).decode("ascii")}


def path_from_fields(payload: dict[str, Any]) -> bytes | None:
    if isinstance(payload.get("path"), str):
        return payload["path"].encode("utf-8")
    if isinstance(payload.get("path_b64"), str):
        return base64.b64decode(payload["path_b64"], validate=True)
    return None


@dataclass(frozen=True)
class _PathEvent(Event):
    raw_path: bytes

    def payload(self) -> dict[str, Any]:
        fields = {k: v for k, v in super().payload().items() if k != "raw_path"}
        return {**path_fields(self.raw_path), **fields}


@dataclass(frozen=True)
class FileOpen(_PathEvent):
    """A file was opened in the viewer (before any of it is shown)."""

    kind: ClassVar[str] = "file_open"
    blob: str  # hex SHA-256 of the content in the snapshot
    size: int
    lines: int
    flags: dict[str, int] = field(default_factory=dict)  # sanitizer flag counts by class


@dataclass(frozen=True)
class View(_PathEvent):
    """Lines first..last (1-based, inclusive) and columns col..col+cols-1 are on screen.
    `wrap` (rows, ADR 0212): the lines wrap in rows of `cols` cells from column 0 on a
    screen of `wrap` rows (session/wrap.py); 0, and left out of the payload: not wrapped."""

    kind: ClassVar[str] = "view"
    blob: str
    first: int
    last: int
    col: int
    cols: int
    wrap: int = 0

    def payload(self) -> dict[str, Any]:
        fields = super().payload()
        if not self.wrap:  # as every view before wrapping was: the same bytes
            del fields["wrap"]
        return fields


@dataclass(frozen=True)
class Search(Event):
    """A search ran; `digest` names the full, ordered result list (snapshot search API)."""

    kind: ClassVar[str] = "search"
    query: str
    regex: bool
    case: bool
    include: list[str]
    exclude: list[str]
    hits: int
    digest: str


@dataclass(frozen=True)
class SearchStart(Event):
    """The first `rows` hits of a search whose pass is still running are about to be
    listed; `digest` is the result digest of those rows taken as a whole list
    (session/first_page.py). Its `search` (or `search_cancel`) entry follows."""

    kind: ClassVar[str] = "search_start"
    query: str
    regex: bool
    case: bool
    include: list[str]
    exclude: list[str]
    rows: int
    digest: str


@dataclass(frozen=True)
class SearchCancel(Event):
    """A search the recorder was running was stopped before its results were
    recorded, so none of them was shown: by the reviewer, or because the session
    left the state in which results may be shown (docs/protocol.md §5)."""

    kind: ClassVar[str] = "search_cancel"
    query: str
    regex: bool
    case: bool
    include: list[str]
    exclude: list[str]
    why: str  # reviewer, replaced, idle, lock, end, seal, client_lost


@dataclass(frozen=True)
class SearchResultsView(Event):
    """Result rows first..last (0-based, inclusive) of the search at `search_seq` are shown."""

    kind: ClassVar[str] = "search_results_view"
    search_seq: int
    first: int
    last: int


@dataclass(frozen=True)
class QuickOpen(Event):
    """The quick-open box was used; `matches` names how many paths were offered."""

    kind: ClassVar[str] = "quick_open"
    query: str
    matches: int


@dataclass(frozen=True)
class QuickOpenList(Event):
    """The quick-open box is about to list `names` (each `path_fields` of a path) for
    `query`, of the `matches` paths that match it among the first `searched` of the
    snapshot's `total` paths (a request's work is bounded: session/name_matcher.py).
    -1, -1: a ledger of before the bound, where every path was searched."""

    kind: ClassVar[str] = "quick_open_list"
    query: str
    matches: int
    names: list[dict[str, str]]
    searched: int = -1
    total: int = -1

    @classmethod
    def of(cls, query: str, paths: list[bytes], matches: int, searched: int,
           total: int) -> QuickOpenList:  # fmt: skip
        return cls(query, matches, [path_fields(p) for p in paths], searched, total)


@dataclass(frozen=True)
class TreeList(_PathEvent):
    """The file tree is about to list `entries` names of directory `path` ("" for
    the snapshot's root), those from position `start` (0-based) of its sorted
    listing, which holds `total` names (-1: not recorded, a ledger of before pages:
    then the step lists them all). A directory is listed a page at a time."""

    kind: ClassVar[str] = "tree_list"
    entries: int
    start: int = 0
    total: int = -1


@dataclass(frozen=True)
class Goto(_PathEvent):
    kind: ClassVar[str] = "goto"
    line: int


@dataclass(frozen=True)
class Find(_PathEvent):
    """The reviewer searched the open file `blob` for `query`; `hits` lines hold it.
    Recorded before any hit is marked or moved to (session/find_in_file.py)."""

    kind: ClassVar[str] = "find"
    blob: str
    query: str
    case: bool
    hits: int


@dataclass(frozen=True)
class Mark(_PathEvent):
    """The reviewer set mark `mark` (a letter) at line `line` of the open file `blob`."""

    kind: ClassVar[str] = "mark"
    blob: str
    mark: str
    line: int


@dataclass(frozen=True)
class SymbolOutline(_PathEvent):
    """The outline of the open file `blob` is about to list `listed` of its `symbols`
    definitions, by line, from the one after its first `offset` (a later page, ADR
    0127; 0, and left out of the payload: the first page); `digest` names the rows
    listed (session/symbol_digest.py), which replay recomputes from the signed
    symbol index."""

    kind: ClassVar[str] = "symbol_outline"
    blob: str
    symbols: int
    listed: int
    digest: str
    offset: int = 0

    def payload(self) -> dict[str, Any]:
        fields = super().payload()
        if not self.offset:  # as every outline before pages was: the same bytes
            del fields["offset"]
        return fields


@dataclass(frozen=True)
class SymbolDefinitions(Event):
    """Go to definition of `name`: `places` definitions found in the signed index,
    the first `listed` about to be shown (or gone to, when there is one); `digest`
    names those rows (session/symbol_digest.py)."""

    kind: ClassVar[str] = "symbol_definitions"
    name: str
    places: int
    listed: int
    digest: str


@dataclass(frozen=True)
class SymbolQuickOpen(Event):
    """The symbol quick-open box is about to list `names` (symbol names of the
    signed index) for `query`."""

    kind: ClassVar[str] = "symbol_quick_open"
    query: str
    names: list[str]


@dataclass(frozen=True)
class Idle(Event):
    """The screen was blanked after `after_s` seconds without input."""

    kind: ClassVar[str] = "idle"
    after_s: int


@dataclass(frozen=True)
class Active(Event):
    """Input resumed after an idle lock; the screen shows content again."""

    kind: ClassVar[str] = "active"
    idle_s: int


@dataclass(frozen=True)
class Unlock(Event):
    """The reviewer acknowledged a guard lock; the screen shows content again."""

    kind: ClassVar[str] = "unlock"
    lock: str  # which lock: "guard"
    locked_s: int  # how long it stayed up
    alerts: list[int] = field(default_factory=list)  # the seqs of the alerts acknowledged


@dataclass(frozen=True)
class Blocked(Event):
    """A disallowed action was attempted (copy, screenshot, open URL, suspend, …)."""

    kind: ClassVar[str] = "blocked"
    action: str
    detail: str = ""
    by: str = ""  # "terminal": the terminal reported it over the recorder's socket

    def payload(self) -> dict[str, Any]:
        fields = super().payload()
        if not self.by:  # observed where it is recorded: the field is left out
            del fields["by"]
        return fields


@dataclass(frozen=True)
class WitnessShown(Event):
    """A witness code was put on screen for the room's paper log."""

    kind: ClassVar[str] = "witness_shown"
    seq: int
    code: str


@dataclass(frozen=True)
class RecordingFailed(Event):
    """Recording failed and the source was hidden; written once recording works again."""

    kind: ClassVar[str] = "recording_failed"
    error: str
    failed_at_wall_us: int
    attempts: int


@dataclass(frozen=True)
class Alert(Event):
    """Something happened around the session (the guard); `response` is the policy taken."""

    kind: ClassVar[str] = "alert"
    category: str
    detail: str
    response: str
    count: int = 1


@dataclass(frozen=True)
class Crash(Event):
    """The terminal stopped on an internal error. The details are in a crash file
    only the recorder's owner can read; this names it and its SHA-256. The error's
    message is not recorded: it may quote source."""

    kind: ClassVar[str] = "crash"
    error: str  # the exception's class name
    file: str  # the crash file's name, in the `crashes` directory beside the ledger
    sha256: str  # hex SHA-256 of the crash file


@dataclass(frozen=True)
class Refused(Event):
    """The recorder refused a terminal's request (docs/protocol.md §9); nothing was
    answered but the refusal."""

    kind: ClassVar[str] = "refused"
    request: str  # the request's wire name, or "?" for a frame that did not decode
    reason: str  # oversized, malformed, version, order, locked, ended, rate, bounds, ...
    detail: str = ""


@dataclass(frozen=True)
class ClientLost(Event):
    """The terminal's connection ended without a seal, or was closed by the recorder."""

    kind: ClassVar[str] = "client_lost"
    detail: str
    policy: str  # what the recorder does now: seal, or wait for the same reviewer


@dataclass(frozen=True)
class ClientResume(Event):
    """The same reviewer account connected again to a session that waited for it."""

    kind: ClassVar[str] = "client_resume"
    uid: int
    away_s: int  # how long no terminal was connected
    pid: int = 0  # the connecting process (SO_PEERCRED)
    account: str = ""  # the uid's account name, "" if it has none


@dataclass(frozen=True)
class ClientConnect(Event):
    """A reviewer account's terminal connected to a new (or restarted) session:
    who is on the socket, from SO_PEERCRED, before anything is answered."""

    kind: ClassVar[str] = "client_connect"
    uid: int
    pid: int
    account: str  # the uid's account name, "" if it has none


@dataclass(frozen=True)
class Note(_PathEvent):
    """A reviewer's note, written (`version` 1) or edited (each edit one more), on lines
    `first`..`last` of the file `blob` at the path, or on the whole file (both 0).
    The full text is in every version, so each entry says exactly what was written."""

    kind: ClassVar[str] = "note"
    note: str  # 32 hex digits, random, chosen when the note is first written
    version: int
    note_kind: str  # one of NOTE_KINDS
    severity: str  # one of SEVERITIES for a finding, "" otherwise
    title: str
    body: str
    blob: str
    first: int
    last: int
    # 32 hex digits (128 random bits), new for every version, written by the session
    # that records it (ADR 0409): it makes the version's hash a commitment no one
    # can test a guess of the text against. "": a ledger from before, which has none
    # (and the payload then has no `nonce` field).
    nonce: str = ""

    def payload(self) -> dict[str, Any]:
        fields = super().payload()
        if not self.nonce:  # as every note before ADR 0409 was: the same bytes
            del fields["nonce"]
        return fields


@dataclass(frozen=True)
class NoteWithdraw(Event):
    """The reviewer withdrew note `note` (its last version was `version`)."""

    kind: ClassVar[str] = "note_withdraw"
    note: str
    version: int


VOCABULARY: tuple[type[Event], ...] = (
    FileOpen,
    View,
    Search,
    SearchStart,
    SearchCancel,
    SearchResultsView,
    QuickOpen,
    QuickOpenList,
    TreeList,
    Goto,
    Find,
    Mark,
    SymbolOutline,
    SymbolDefinitions,
    SymbolQuickOpen,
    Idle,
    Active,
    Unlock,
    Blocked,
    WitnessShown,
    RecordingFailed,
    Alert,
    Crash,
    Refused,
    ClientLost,
    ClientResume,
    ClientConnect,
    Note,
    NoteWithdraw,
)
