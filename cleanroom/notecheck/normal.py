"""Whitespace normalisation, the same for notes and for source.

Every run of whitespace (as `str.split` sees it: spaces, tabs, line breaks and
the Unicode spaces) becomes one space, and the ends are stripped, so a quote
re-indented or re-wrapped in a note still matches the source it came from.
Nothing else changes: case, punctuation and every other character count.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def words(normal: str) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-free run of a normalised text."""
    return [m.span() for m in _WORD.finditer(normal)]
