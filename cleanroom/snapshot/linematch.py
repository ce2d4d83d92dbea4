"""Find the matching lines in a run of content, and the matches within each line.

A matcher takes `data`, a run of whole lines of one blob (each ends in a line
feed, except perhaps the blob's last), and yields `(start, end, spans, more)`
for each line with a match, in order: the line is `data[start:end]` (without
its line feed), `spans` are the matches as (start, end) byte offsets within the
line, left to right and not overlapping, at most MAX_SPANS of them, and `more`
says whether the line has further matches. Matchers hold no state between
calls, so one can serve several searches at once.

- `LiteralMatcher`: occurrences of a byte string, found left to right and not
  overlapping (as `bytes.find` finds them; `literalscan` finds them faster);
  case-insensitively it compares ASCII-lowercased bytes, so only ASCII letters
  fold.
- `RegexMatcher`: an RE2 pattern from `pattern.parse`. With a line filter (a set
  of literals of which every matching line holds one) it finds occurrences of
  those first (`literalscan`) and runs RE2 only on their lines; without, it lets
  RE2 scan the whole run (the pattern never matches across a line feed). Within a line,
  after a match the next is searched from its end; after an empty match, from
  the next character. An empty match just before a UTF-8 continuation byte
  (0x80-0xBF), that is inside a character, is not reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from .literalscan import WINDOW, Finder
from .pattern import Literal
from .prefilter import Prefilter

MAX_SPANS = 100  # matches reported per line; `more` says if there were others

Spans = tuple[tuple[int, int], ...]
LineMatch = tuple[int, int, Spans, bool]


class Matcher(Protocol):
    def lines(self, data: bytes) -> Iterator[LineMatch]: ...

    def any(self, data: bytes) -> bool:
        """Whether `lines(data)` would yield anything, or may (never False when it would)."""
        ...


class LiteralMatcher:
    def __init__(self, needle: bytes, case: bool) -> None:
        if not needle or b"\n" in needle:
            raise ValueError("a literal must be non-empty and within one line")
        self.needle = needle if case else needle.lower()
        self.fold = not case
        self._finder = Finder(self.needle, False)  # run on lowercased content to fold
        self._folded = Finder(self.needle, True) if self.fold else None  # on raw content

    def any(self, data: bytes) -> bool:
        if self._folded is None:
            return self.needle in data
        return self._folded.find(data, 0, len(data)) >= 0

    def lines(self, data: bytes) -> Iterator[LineMatch]:
        hay = data.lower() if self.fold else data  # same length, same line feeds
        # Finder.find, inlined: this loop runs once per hit, a million times for a
        # common word, where a method call per occurrence shows.
        find, rfind, startswith, size = hay.find, hay.rfind, hay.startswith, len(hay)
        needle, n = self.needle, len(self.needle)
        k, head, tail = self._finder.tail
        p = 0
        near = True  # the last hit was close to the one before: try the window first
        while True:
            i = find(needle, p, p + WINDOW) if near else -1
            if i < 0:
                if near and p + WINDOW >= size:
                    return
                q = (max(p, p + WINDOW - n + 1) if near else p) + k
                if q > size:
                    return
                while (t := tail(hay, q, size)) >= 0:
                    i = t - k
                    if startswith(head, i):
                        break
                    q = t + 1
                else:
                    return
                near = i - p < WINDOW
            start = rfind(b"\n", p, i) + 1 or p  # p is a line start
            end = find(b"\n", i + n)
            if end < 0:
                end = size
            p = i + n
            j = find(needle, p, end)
            if j < 0:  # the usual case: one match in the line
                yield start, end, ((i - start, p - start),), False
            else:
                spans = [(i - start, p - start)]
                more = False
                while j >= 0:
                    if len(spans) == MAX_SPANS:
                        more = True
                        break
                    spans.append((j - start, j - start + n))
                    j = find(needle, j + n, end)
                yield start, end, tuple(spans), more
            p = end + 1


class RegexMatcher:
    def __init__(
        self, rx, line_filter: tuple[Literal, ...] | None, prefilter: Prefilter | None = None
    ) -> None:
        self.rx = rx  # an re2 pattern over bytes, line semantics (pattern.parse)
        self.line_filter = line_filter
        self.prefilter = None if line_filter else prefilter  # used where it compiled
        self.search = _searcher(rx)
        self._finds = [Finder(lit.text, lit.folded).find for lit in line_filter or ()]

    def any(self, data: bytes) -> bool:
        n = len(data)
        if self.line_filter:
            return any(find(data, 0, n) >= 0 for find in self._finds)
        if self.prefilter is not None and self.prefilter.usable:
            return self.prefilter.any(data)
        return self.search(data, 0, n) is not None

    def lines(self, data: bytes) -> Iterator[LineMatch]:
        if self.line_filter:
            candidates: Iterable[tuple[int, int]] = self._filtered(data)
        elif self.prefilter is not None and self.prefilter.usable:
            candidates = self.prefilter.lines(data)
        else:
            candidates = self._scanned(data)
        for start, end in candidates:
            spans, more = self.spans(data, start, end)
            if spans:
                yield start, end, tuple(spans), more

    def spans(self, data: bytes, start: int, end: int) -> tuple[list[tuple[int, int]], bool]:
        """The matches in the line data[start:end], relative to `start`, and whether
        there were more than MAX_SPANS."""
        spans: list[tuple[int, int]] = []
        search = self.search
        p = start
        while p <= end:
            found = search(data, p, end)
            if found is None:
                break
            s, e = found
            if s == e and s < end and 0x80 <= data[s] < 0xC0:
                p = s + 1  # inside a character
                continue
            if len(spans) == MAX_SPANS:
                return spans, True
            spans.append((s - start, e - start))
            p = e if s < e else _next_char(data, s, end)
        return spans, False

    def _scanned(self, data: bytes) -> Iterator[tuple[int, int]]:
        """The lines where RE2 finds a match, scanning the whole run."""
        n = len(data)
        beyond = n == 0 or data[-1] == 0x0A  # position n is not on a line
        search = self.search
        p = 0
        while p <= n and (found := search(data, p, n)) is not None:
            s = found[0]
            if s == n and beyond:
                return
            end = _line_end(data, s)
            yield _line_start(data, p, s), end
            p = end + 1

    def _filtered(self, data: bytes) -> Iterator[tuple[int, int]]:
        """The lines holding one of the filter literals."""
        finds, n = self._finds, len(data)
        if len(finds) == 1:
            find = finds[0]
            p = 0
            while (i := find(data, p, n)) >= 0:
                end = _line_end(data, i)
                yield _line_start(data, p, i), end
                p = end + 1
            return
        nexts = [find(data, 0, n) for find in finds]
        p = 0
        while True:
            found = [x for x in nexts if x >= 0]
            if not found:
                return
            i = min(found)
            end = _line_end(data, i)
            yield _line_start(data, p, i), end
            p = end + 1
            for k, x in enumerate(nexts):
                if 0 <= x < p:
                    nexts[k] = finds[k](data, p, n)


def _searcher(rx) -> Callable[[bytes, int, int], tuple[int, int] | None]:
    """search(data, pos, endpos) -> the leftmost match's span, or None. Calls the
    compiled RE2 object directly when the binding exposes it: the public wrapper
    makes a generator and a Match object per call, which dominates when lines are
    tested one by one. Both see the whole of `data` as context."""
    raw = getattr(rx, "_regexp", None)
    unanchored = getattr(getattr(type(raw), "Anchor", None), "UNANCHORED", None)
    if raw is None or unanchored is None:

        def public(data: bytes, pos: int, endpos: int) -> tuple[int, int] | None:
            m = rx.search(data, pos, endpos)
            return None if m is None else m.span()

        return public
    match = raw.Match

    def direct(data: bytes, pos: int, endpos: int) -> tuple[int, int] | None:
        span = match(unanchored, data, pos, endpos)[0]
        return None if span[0] < 0 else span

    return direct


def _line_start(data: bytes, low: int, i: int) -> int:
    """Start of the line holding offset i; `low` is known to be a line start <= i."""
    k = data.rfind(b"\n", low, i)
    return k + 1 if k >= 0 else low


def _line_end(data: bytes, i: int) -> int:
    k = data.find(b"\n", i)
    return len(data) if k < 0 else k


def _next_char(data: bytes, s: int, end: int) -> int:
    p = s + 1
    while p < end and 0x80 <= data[p] < 0xC0:
        p += 1
    return p
