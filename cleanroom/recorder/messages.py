"""The protocol's messages (docs/protocol.md §4), as msgspec structs.

Requests and answers are closed, tagged unions (the tag field is `t`); decoding
refuses an unknown tag, a missing or unknown field, a wrong type, and a string,
bytes or list over its bound, before any handler sees the message.
"""

from __future__ import annotations

from typing import Annotated, Union

import msgspec
from msgspec import Meta, Struct

from ..notes.model import MAX_BODY, MAX_TITLE

# 11: `outline` carries `offset`: a later page of a file's outline (ADR 0127);
# `paragraph` (`{` / `}`: the recorder finds the line and records it as a `goto`),
# answered `location` (ADR 0223)
# 9: `welcome` carries the room's `idle_seconds` and `witness_minutes`, which a terminal
# started by `review --connect` (no config of its own) uses
# 8: `view` carries `wrap` (rows; 0: not wrapped), and its `lines` answer is then each
# line's shown rows joined by a line break (ADR 0212).
# 7: the reviewer's countersignature from the terminal: `seal` may be answered
# `countersign` (the bytes to sign), then `countersignature`; `sealed` says whether
# it is countersigned
# 5: `crash` (the terminal's crash report, written by the recorder); `refused`
# carries a `detail`, and is sent before the hello to a terminal not admitted
# 4: following code (`outline`, `definitions`, `symbol_names`; answers `symbols`,
# `symbol_names`, `no_symbols`)
# 3: notes (`note_save`, `note_withdraw`, `notes`)
# 2: paged `tree`, `gone`/`unfinished` seals, MISSING notices, refusal actions; a
# search runs while the recorder serves on (`wait`, `cancel`)
VERSION = 11
MAX_REQUEST = 65_536  # bytes in one request frame
MAX_ANSWER = 8 * 1024 * 1024  # bytes in one answer frame
MAX_CRASH_REPORT = 12_000  # characters of a crash report: 48 KB of UTF-8 at most, within a frame

Path = Annotated[bytes, Meta(max_length=4096)]
Short = Annotated[str, Meta(max_length=256)]
Detail = Annotated[str, Meta(max_length=1024)]
Blob = Annotated[str, Meta(pattern="^[0-9a-f]{64}$")]
Count = Annotated[int, Meta(ge=0, le=2**53 - 1)]
Globs = Annotated[list[Short], Meta(max_length=32)]
NoteId = Annotated[str, Meta(pattern="^[0-9a-f]{32}$")]
PageSize = Annotated[int, Meta(ge=1, le=500)]  # names in one `tree` page (service.PAGE_NAMES)


class _Request(Struct, tag_field="t", forbid_unknown_fields=True, frozen=True):
    pass


class Hello(_Request, tag="hello"):
    version: int
    client: Annotated[str, Meta(max_length=64)] = ""


class Tree(_Request, tag="tree"):
    path: Path
    start: Count = 0  # the first name wanted, by position in the sorted listing
    limit: PageSize = 500


class Names(_Request, tag="names"):
    query: Short


class Pick(_Request, tag="pick"):
    query: Short
    matches: Count


class Open(_Request, tag="open"):
    path: Path


class View(_Request, tag="view"):
    path: Path
    blob: Blob
    first: int
    last: int
    col: int
    cols: int
    wrap: int = 0  # rows of a wrapped screen (ADR 0212); 0: lines are cut, not wrapped


class Goto(_Request, tag="goto"):
    path: Path
    blob: Blob
    line: int


class Paragraph(_Request, tag="paragraph"):
    """`}` (forward) or `{` from `line` of the file last opened (session/paragraph.py)."""

    path: Path
    blob: Blob
    line: int
    forward: bool


class Find(_Request, tag="find"):
    path: Path
    blob: Blob
    query: Short
    case: bool


class Mark(_Request, tag="mark"):
    path: Path
    blob: Blob
    mark: Annotated[str, Meta(pattern="^[a-z]$")]
    line: int


class Outline(_Request, tag="outline"):
    """The definitions of the file last opened (its symbol outline): the page
    after its first `offset` (ADR 0127)."""

    path: Path
    blob: Blob
    offset: Count = 0


class Definitions(_Request, tag="definitions"):
    name: Short


class SymbolNames(_Request, tag="symbol_names"):
    query: Short


class Search(_Request, tag="search"):
    text: Annotated[str, Meta(max_length=4096)]
    regex: bool
    case: bool
    include: Globs
    exclude: Globs


class Wait(_Request, tag="wait"):
    """The result of search `id`, if its pass ends within WAIT seconds."""

    id: Count


class Cancel(_Request, tag="cancel"):
    id: Count


class Rows(_Request, tag="rows"):
    search_seq: Count
    first: int
    last: int


class Where(_Request, tag="where"):
    search_seq: Count
    index: int


class NoteSave(_Request, tag="note_save"):
    """Record a note: a new one (`note` "", on the file last opened) or the next
    version of `note` (its place stays; the place sent is ignored)."""

    note: Annotated[str, Meta(pattern="^([0-9a-f]{32})?$")]
    kind: Short
    severity: Short
    title: Annotated[str, Meta(max_length=MAX_TITLE + 56)]  # trimmed, then at most MAX_TITLE
    body: Annotated[str, Meta(max_length=MAX_BODY)]  # characters here; bytes in notes.model
    path: Path
    blob: Blob
    first: Count
    last: Count


class NoteWithdraw(_Request, tag="note_withdraw"):
    note: NoteId


class Notes(_Request, tag="notes"):
    """A page of the notes to list, from position `start`."""

    start: Count = 0


class Blocked(_Request, tag="blocked"):
    action: Short
    detail: Detail = ""


class Key(_Request, tag="key"):
    key: Short


class Idle(_Request, tag="idle"):
    after_s: Annotated[int, Meta(ge=0, le=86_400)]


class Active(_Request, tag="active"):
    pass


class Unlock(_Request, tag="unlock"):
    lock: Short
    # The lock screen showed every lock alert numbered up to this (AlertInfo.number,
    # ADR 0220): a lock held by an alert numbered higher is not lifted (`unshown`).
    shown: Count = 0


class Witness(_Request, tag="witness"):
    pass


class Status(_Request, tag="status"):
    pass


class Seal(_Request, tag="seal"):
    reason: Short = "reviewer"


class Bye(_Request, tag="bye"):
    pass


class Countersignature(_Request, tag="countersignature"):
    """The reviewer's Ed25519 signature over the `countersign` answer's `message`;
    empty: the terminal holds no reviewer key (the seal is not countersigned)."""

    sig: Annotated[bytes, Meta(max_length=64)]


class CrashReport(_Request, tag="crash"):
    """The terminal stopped on an internal error: `error` its class name, `report`
    its frames (session.crash.outline: no message, no locals, no source)."""

    error: Short
    report: Annotated[str, Meta(max_length=MAX_CRASH_REPORT)]


Request = Union[  # noqa: UP007 (msgspec needs a Union object for a tagged union)
    Hello, Tree, Names, Pick, Open, View, Goto, Paragraph, Find, Mark, Outline, Definitions,
    SymbolNames, Search, Wait, Cancel, Rows, Where, Blocked, Key, Idle, Active, Unlock, Witness,
    Status, Seal, Bye, NoteSave, NoteWithdraw, Notes, CrashReport, Countersignature,
]  # fmt: skip


class _Answer(Struct, tag_field="t", forbid_unknown_fields=True, kw_only=True):
    entries: int = 0  # entries in the ledger after this answer
    alerts: int = 0  # alerts recorded so far


class Welcome(_Answer, tag="welcome"):
    version: int
    session_id: str
    reviewer: str
    org: str
    workstation: str
    snapshot: str
    ledger_path: str
    root_name: str
    witness_seq: int
    witness_code: str
    guarded: bool
    state: str
    missing: list[str] = msgspec.field(default_factory=list)  # MISSING notices (session.missing)
    resumed: bool = False  # a session left unsealed, resumed (its start screen says so)
    idle_seconds: int = 300  # the room's idle lock (workstation.toml `idle-minutes`; version 9)
    witness_minutes: int = 15  # how often a fresh witness code is shown (version 9)


class Ok(_Answer, tag="ok"):
    pass


class Refused(_Answer, tag="refused", omit_defaults=True):
    """`detail` is left out when empty, so a `version` refusal is the frame a
    terminal of an older version can decode and show (§3)."""

    reason: str
    seq: int  # the `refused` entry; -1 when it could not be recorded
    detail: str = ""  # why, for a refusal the terminal shows (`busy`, `owner`)


class Failed(_Answer, tag="failed"):
    why: str


class EntryInfo(Struct, forbid_unknown_fields=True, array_like=True):
    path: bytes
    name: bytes
    is_dir: bool
    kind: str
    size: int


class Listing(_Answer, tag="listing"):
    items: list[EntryInfo]
    start: int  # the position of items[0] in the directory's sorted listing
    total: int  # names the directory holds


class Paths(_Answer, tag="paths"):
    paths: list[bytes]
    matches: int  # among the first `searched` of the snapshot's `total` paths
    searched: int
    total: int


class Opened(_Answer, tag="opened"):
    path: bytes
    name: str
    blob: str
    size: int
    lines: int
    max_line_bytes: int
    binary: bool
    flags: dict[str, int]
    flagged_lines: list[int]


class RefusedFile(_Answer, tag="refused_file"):
    """The file's content is not what the vendor signed (recorded as `blocked`)."""

    path: bytes
    display: str
    why: str
    action: str = "tampered_content"  # or "too_large" (session.source.TooLarge)


class NoSuchFile(_Answer, tag="no_such_file"):
    pass


class Lines(_Answer, tag="lines"):
    first: int
    lines: list[bytes]
    sizes: list[int]


class FileHits(_Answer, tag="file_hits"):
    """Where a `find` matched: lines (1-based), each line's matches as display
    cells (start, end), and how many lines matched in all. Positions, no text."""

    lines: list[int]
    cells: list[list[tuple[int, int]]]
    total: int


class SymbolInfo(Struct, forbid_unknown_fields=True, array_like=True):
    """One symbol row of the signed index: where (path, the files table's display
    path, 0-based line) and what (name, kind). Names are untrusted text."""

    path: bytes
    display: str
    line: int
    name: str
    kind: str


class SymbolList(_Answer, tag="symbols"):
    """A recorded outline or definitions list (`symbol_outline`,
    `symbol_definitions`): the rows listed, and how many there are in all."""

    rows: list[SymbolInfo]
    total: int


class SymbolNameList(_Answer, tag="symbol_names"):
    """The symbol names recorded by `symbol_quick_open`."""

    names: list[str]


class NoSymbols(_Answer, tag="no_symbols"):
    """Nothing recorded, nothing to show: the snapshot has no symbol index, or it
    is not the one the vendor signed, or the name cannot be one (`why`)."""

    why: str


class Found(_Answer, tag="found"):
    """A recorded search: `done` its `search` entry; not `done`, the first page of a
    search still running (its `search_start` entry: `kept` rows, `total` = `kept`,
    `digest` theirs); ask `wait` again for the rest."""

    seq: int
    kept: int
    total: int
    digest: str
    done: bool = True


class Searching(_Answer, tag="searching"):
    """Search `id` is running; ask `wait` for its result. No hit counts: nothing of
    a search is answered before it is recorded."""

    id: int
    files: int  # files searched so far, for a progress line


class SearchFailed(_Answer, tag="search_failed"):
    why: str


class HitInfo(Struct, forbid_unknown_fields=True, array_like=True):
    path: bytes
    display: str
    line: int
    spans: list[tuple[int, int]]
    more_spans: bool
    text: bytes
    text_start: int
    line_size: int
    refused: bool
    why: str


class Hits(_Answer, tag="hits"):
    hits: list[HitInfo]


class Location(_Answer, tag="location"):
    path: bytes
    line: int


class Noted(_Answer, tag="noted"):
    """The note's version `version` is recorded (`note` or `note_withdraw` at `seq`)."""

    note: str
    version: int
    seq: int


class NoteInfo(Struct, forbid_unknown_fields=True, array_like=True):
    note: str
    version: int
    kind: str
    severity: str
    title: str
    body: str
    path: bytes
    blob: str
    first: int
    last: int
    withdrawn: bool
    session: str  # "" for this session's; else the earlier session's ledger id
    reviewer: str


class NotePage(_Answer, tag="notes"):
    items: list[NoteInfo]
    start: int
    total: int


class WitnessCode(_Answer, tag="witness_code"):
    seq: int
    code: str


class AlertInfo(Struct, forbid_unknown_fields=True, array_like=True):
    category: str
    detail: str
    response: str
    number: Count = 0  # 1, 2, 3... in the session (session/alert_locks.py); 0: not the guard's


class State(_Answer, tag="state"):
    state: str  # new, ready, idle, guard_lock, ended
    failure: str | None
    fresh: list[AlertInfo]  # alerts recorded since the last status
    ended: str | None  # why the session ended, once it has
    witness_seq: int = -1  # the last code shown; the seal's once sealed; -1 once ended unsealed
    witness_code: str = ""
    unfinished: Unfinished | None = None  # the seal's, when the ledger could not be finished


class Sealed(_Answer, tag="sealed"):
    seq: int
    code: str
    countersigned: bool = False  # by the reviewer's key (the terminal's, or the room's)


class Countersign(_Answer, tag="countersign"):
    """The seal waits for the reviewer's countersignature: `message` is exactly what
    `session_end` will carry it over (docs/ledger-format.md, "cleanroom:countersign:v1"
    ‖ ledger ‖ seq ‖ prev), `key` the reviewer public key (hex) it must verify under."""

    message: bytes
    key: str
    seconds: float  # how long the recorder waits before it seals without


class Crashed(_Answer, tag="crashed"):
    """What the recorder did with a `crash` report: the crash file it wrote (its
    path and SHA-256) or `why` not; whether the `crash` entry is recorded; the
    seal's final entry and witness code (`seq` -1 and `code` "" when the session
    could not be sealed: it is left to resume)."""

    file: str | None
    sha256: str
    why: str
    recorded: bool
    seq: int
    code: str


class Unfinished(_Answer, tag="unfinished"):
    """`session_end` is recorded (the session is over) but the ledger file could
    not be finished; `gone` says how it left ("deleted", "moved") when it did."""

    why: str
    seq: int
    code: str
    receipt_path: str | None
    gone: str | None


Answer = Union[  # noqa: UP007
    Welcome, Ok, Refused, Failed, Listing, Paths, Opened, RefusedFile, NoSuchFile, Lines,
    FileHits, SymbolList, SymbolNameList, NoSymbols, Found, Searching, SearchFailed, Hits,
    Location, WitnessCode, State, Sealed, Unfinished, Noted, NotePage, Crashed, Countersign,
]  # fmt: skip

request_decoder = msgspec.msgpack.Decoder(Request)
answer_decoder = msgspec.msgpack.Decoder(Answer)
encoder = msgspec.msgpack.Encoder()
