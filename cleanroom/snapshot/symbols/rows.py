"""What one symbols row must be, checked against the content of its file.

Used when building (a ctags answer that breaks these is dropped), by verify
(each break is a SYMBOL_ROW finding) and by the query API (a row that points
outside its file is never returned).
"""

from __future__ import annotations

import re

MAX_NAME = 200
_KIND = re.compile(rb"[a-z][a-zA-Z]{0,31}")
_SPACE = re.compile(r"\s")
# What a kind is (for callers that check many rows and cache it per kind).
KIND_WORD = _KIND
# A name that has no `name_problem` for certain: 1 to MAX_NAME bytes of printable
# ASCII other than the space (so UTF-8, printable, no white space). Most names are;
# a name that does not match may still be one: ask `name_problem`.
SIMPLE_NAME = re.compile(rb"[!-~]{1,%d}" % MAX_NAME)


def name_problem(name: object) -> str | None:
    """Why `name` (raw UTF-8 bytes) cannot be a symbol name, or None."""
    if not isinstance(name, bytes) or not name:
        return "the name is not non-empty text"
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return "the name is not UTF-8"
    if len(text) > MAX_NAME:
        return f"the name is longer than {MAX_NAME} characters"
    if not text.isprintable() or _SPACE.search(text):
        return "the name holds a space or a control character"
    return None


def row_problem(name: object, kind: object, line: object, text: bytes | None) -> str | None:
    """Why (name, kind, line) is not a definition on `text`, the raw bytes of
    that line (None: the line is not in the file), or None if it may be."""
    problem = name_problem(name)
    if problem:
        return problem
    if not isinstance(kind, bytes) or not _KIND.fullmatch(kind):
        return "the kind is not a lowercase word of at most 32 letters"
    if type(line) is not int or line < 0 or text is None:
        return f"line {line!r} is not a line of the file"
    assert isinstance(name, bytes)
    if name not in text:
        return f"the name does not occur on line {line}"
    return None
