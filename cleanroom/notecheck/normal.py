"""Whitespace normalisation, the same for notes and for source.

Every run of whitespace (as `str.split` sees it: spaces, tabs, line breaks and
the Unicode spaces) becomes one space, and the ends are stripped, so a quote
re-indented or re-wrapped in a note still matches the source it came from.
Nothing else changes: case, punctuation and every other character count.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")


def normalise(text: str) -> str:
    # str.split and the regex's \s agree on whitespace (both Py_UNICODE_ISSPACE);
    # split is the faster of the two on large blobs.
    return " ".join(text.split())


def words(normal: str) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-free run of a normalised text."""
    return [m.span() for m in _WORD.finditer(normal)]
