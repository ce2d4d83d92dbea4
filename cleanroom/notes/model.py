"""A note, as the reviewer writes it (`Draft`) and as it is recorded (`Note`),
with the limits docs/events.md gives the `note` entry. `check` is the one place
the limits are enforced: the terminal's editor, the session and the recorder all
call it, so a note that passes here is one the ledger takes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace

NOTE_KINDS = ("finding", "question", "remark")
SEVERITIES = ("critical", "high", "medium", "low", "info")
MAX_TITLE = 200  # characters
MAX_BODY = 16_384  # bytes of UTF-8
MAX_PATH = 4096  # bytes: the recorder's bound on any path
NOTE_ID = re.compile(r"[0-9a-f]{32}")
BLOB = re.compile(r"[0-9a-f]{64}")
MAX_LINE = 2**53 - 1


class NoteError(ValueError):
    """A note that breaks a limit; the message says which, for the reviewer."""


@dataclass(frozen=True)
class Place:
    """Where a note is: lines first..last (1-based, inclusive) of the file `blob`
    at `path`, or the whole file (both 0)."""

    path: bytes
    blob: str
    first: int = 0
    last: int = 0

    @property
    def whole_file(self) -> bool:
        return self.first == 0 and self.last == 0

    def lines_text(self) -> str:
        if self.whole_file:
            return "whole file"
        return (
            f"line {self.first}" if self.first == self.last else f"lines {self.first}-{self.last}"
        )


@dataclass(frozen=True)
class Draft:
    """What the editor hands over: a note's text and where it is."""

    kind: str
    severity: str
    title: str
    body: str
    place: Place


@dataclass(frozen=True)
class Note:
    """A recorded version of a note. `session` is the ledger id of the session
    that recorded it ("" for this session's); `reviewer` who wrote it there."""

    id: str
    version: int
    draft: Draft
    withdrawn: bool = False
    session: str = ""
    reviewer: str = ""

    @property
    def place(self) -> Place:
        return self.draft.place


def new_id() -> str:
    """A fresh note id: 32 random hex digits (128 bits), the same for every version."""
    return secrets.token_hex(16)


def new_nonce() -> str:
    """A fresh nonce for one recorded version: 32 random hex digits (128 bits), from
    the operating system's CSPRNG (ADR 0409)."""
    return secrets.token_hex(16)


def check(draft: Draft, lines: int | None = None) -> Draft:
    """The draft with its title trimmed and a non-finding's severity cleared, or
    NoteError saying which limit it breaks. `lines`: the file's line count, when
    known, to check the place against."""
    if draft.kind not in NOTE_KINDS:
        raise NoteError(f"the kind must be one of {', '.join(NOTE_KINDS)}")
    severity = draft.severity if draft.kind == "finding" else ""
    if draft.kind == "finding" and severity not in SEVERITIES:
        raise NoteError(f"a finding needs a severity: one of {', '.join(SEVERITIES)}")
    title = draft.title.strip()
    if not title:
        raise NoteError("a note needs a title")
    if "\n" in title or "\r" in title:
        raise NoteError("the title is one line")
    if len(title) > MAX_TITLE:
        raise NoteError(f"the title is {len(title)} characters; at most {MAX_TITLE}")
    size = _utf8_size(draft.body, "body")
    _utf8_size(title, "title")
    if size > MAX_BODY:
        raise NoteError(f"the body is {size:,} bytes of UTF-8; at most {MAX_BODY:,}")
    _check_place(draft.place, lines)
    return replace(draft, severity=severity, title=title)


def _utf8_size(text: str, what: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise NoteError(f"the {what} is not valid Unicode text (a lone surrogate)") from None


def _check_place(place: Place, lines: int | None) -> None:
    if not place.path or len(place.path) > MAX_PATH:
        raise NoteError(f"a note's path is 1 to {MAX_PATH} bytes")
    if not BLOB.fullmatch(place.blob):
        raise NoteError("a note names its file's content hash (64 hex digits)")
    if place.whole_file:
        return
    top = MAX_LINE if lines is None else max(lines, 1)
    if not 1 <= place.first <= place.last <= top:
        raise NoteError(f"lines {place.first}-{place.last} are not lines of the file (1-{top})")
