"""Counting what the sanitizer tags in a large text, in C-speed passes.

`sanitize` draws a line; to count its tags over a 200 MB file line by line cost
about 0.7 CPU-s per MB (attack review of issue 12). `scan_text` gives the same
counts and flagged lines as `sanitize(line, tab_size=…)` on each line, without
drawing: a regular expression of the distinct characters `classify` tags finds
them, and `lookalikes` runs only on the lines holding a character that could be
part of a look-alike (a combining mark, or a letter of a script other than
Latin). Property tests hold it to the line-by-line count (tests/test_flag_scan.py).
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import cache

from ..sanitize import Flag, classify, decode, lookalikes, script_of
from .source import may_flag

_EASY = ("LATIN", "COMMON", "INHERITED")  # scripts that mix with ASCII into no look-alike


CLASS_MAX = 512  # distinct characters in one pattern; beyond, one test per character


def _char_class(chars: list[str], ok: Callable[[str], bool]) -> Callable[[str, int], Iterator[int]]:
    """Where in a text (from a position) the characters `chars` stand: a pattern of
    them, or, if there are too many to compile quickly, a walk over every
    character that is not plain ASCII, filtered by `ok`."""
    if len(chars) <= CLASS_MAX:
        pattern = re.compile("[" + "".join(f"\\U{ord(c):08x}" for c in sorted(chars)) + "]")
        return lambda text, pos: (m.start() for m in pattern.finditer(text, pos))
    return lambda text, pos: (m.start() for m in _NOT_PLAIN.finditer(text, pos) if ok(m.group()))


_NOT_PLAIN = re.compile(r"[^\t\n\x20-\x7e]")


@cache
def _tag(ch: str) -> Flag | None:
    if ch in "\t\n":
        return None  # a tab is drawn as spaces in a source line; a line feed ends it
    tag = classify(ch)
    return None if tag is None else tag[1]


@cache
def _risky(ch: str) -> bool:
    """Could `lookalikes` tag `ch` or a word holding it? A combining mark (stacked
    marks), or a letter of a script other than Latin (mixed or look-alike words)."""
    if unicodedata.combining(ch) or unicodedata.category(ch) == "Me":
        return True
    return script_of(ch) not in _EASY


def scan_text(text: str) -> tuple[Counter[Flag], list[int]]:
    """The tags `sanitize` would draw in the lines of `text` ("\\n"-separated, tabs
    expanded): counts by class, and the 0-based numbers of the lines with any,
    ascending. The distinct characters of `text` (a C-speed `set`) decide what to
    look for: those `classify` tags, and, only if some character could be part of
    a look-alike (`_risky`), the lines to hand to `lookalikes`."""
    odd = [c for c in set(text) if not " " <= c <= "~"]
    tagged = [c for c in odd if _tag(c) is not None]
    risky = [c for c in odd if c >= "\x80" and _tag(c) is None and _risky(c)]
    counts: Counter[Flag] = Counter()
    lines: set[int] = set()
    if tagged:
        line = pos = 0
        for at in _char_class(tagged, lambda c: _tag(c) is not None)(text, 0):
            line += text.count("\n", pos, at)
            pos = at
            counts[_tag(text[at])] += 1  # type: ignore[index]
            lines.add(line)
    if risky:
        line = pos = 0
        find = _char_class(risky, lambda c: c >= "\x80" and _tag(c) is None and _risky(c))
        at = next(find(text, 0), -1)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            line += text.count("\n", pos, start)
            pos = start
            row = text[start:end]
            for i, flag in lookalikes(row).items():
                if _tag(row[i]) is None:  # a tag of its own comes first, as in sanitize
                    counts[flag] += 1
                    lines.add(line)
            at = next(find(text, end), -1)
    return counts, sorted(lines)


FAST_SCAN_BYTES = 1 << 20  # smaller files take the line-by-line scan (no pattern to build)
SCAN_CHUNK = 1 << 18  # bytes decoded at a time (whole lines; a longer line whole)


def scan_content(data: bytes, starts: Sequence[int]) -> tuple[dict[str, int], array[int]]:
    """`scan_text` over a file's checked bytes (`starts`: its line start offsets), 256 KB
    of whole lines at a time, so no call holds the interpreter long and
    no copy of the whole file is made: counts by class name, and the 1-based
    numbers of the flagged lines, ascending, packed (a file may flag millions)."""
    flagged = array("I")
    if not any(may_flag(data[at : at + SCAN_CHUNK]) for at in range(0, len(data), SCAN_CHUNK)):
        return {}, flagged
    counts: Counter[Flag] = Counter()
    first, n = 0, len(starts)
    while first < n:
        stop = max(bisect_left(starts, starts[first] + SCAN_CHUNK, first + 1), first + 1)
        end = starts[stop] if stop < n else len(data)
        part, rows = scan_text(decode(data[starts[first] : end]))
        counts.update(part)
        flagged.extend(first + 1 + r for r in rows)
        first = stop
    return {Flag(f).value: k for f, k in counts.items()}, flagged
