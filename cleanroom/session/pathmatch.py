"""Quick open's matching: the query's characters in order in a path, in linear time.

The first version compiled the query into a lazy regex (`e.*?e.*?x`) and ran it
over every path: a vendor file named with 250 `e`s and the query `eeeex` took
minutes (the regex backtracks through every split). Here each path costs one
forward pass of `str.find` (the earliest place the query fits ends at `end`) and
one backward pass of `str.rfind` (the latest start for that end), so at most
two finds per query character: linear in the path, whatever its bytes. The
query is cut at `MAX_QUERY` characters. `rank` checks `cancelled` as it goes, so
a stale match (the reviewer typed on) stops early.

A query of several space-separated terms (`net core .c`) matches a path that
matches every term, each on its own and in any order; the cost stays two finds
per query character. A term given twice counts once (`terms_of`).

`rank` matches a whole list at once, whatever it costs; quick open bounds each
request and narrows as the reviewer types (`name_matcher`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence

from ..sanitize import decode

MAX_QUERY = 256
CHECK_EVERY = 1024  # paths between two looks at `cancelled`


class Cancelled(Exception):
    """A newer query made this match pointless."""


def span(text: str, query: str) -> tuple[int, int] | None:
    """Where `query`'s characters occur in order in `text`: (start, end) of the
    shortest window that ends where the earliest complete match ends; or None."""
    end = 0
    for c in query:
        found = text.find(c, end)
        if found < 0:
            return None
        end = found + 1
    start = end
    for c in reversed(query):
        start = text.rfind(c, 0, start)
    return start, end


def folded(paths: Sequence[bytes]) -> list[str]:
    """The paths as matching compares them: decoded and case-folded (once per list)."""
    return [decode(p).lower() for p in paths]


def rank(
    paths: Sequence[bytes],
    texts: Sequence[str],
    query: str,
    limit: int,
    cancelled: Callable[[], bool] = lambda: False,
) -> tuple[list[bytes], int]:
    """The best `limit` paths matching `query` (case-insensitive), and how many
    matched. Best: the match lies in the file name, then the tightest match, then
    the shortest path. `texts` is `folded(paths)`. Raises Cancelled."""
    terms = list(terms_of(query[:MAX_QUERY]))
    if not terms:
        return list(paths[:limit]), len(paths)
    scored = []
    for i, text in enumerate(texts):
        if i % CHECK_EVERY == 0 and cancelled():
            raise Cancelled
        found = score(text, terms)
        if found is not None:
            scored.append((*found, len(text), i))
    best = heapq.nsmallest(limit, scored)
    return [paths[s[3]] for s in best], len(scored)


def terms_of(query: str) -> tuple[str, ...]:
    """The query's terms, case-folded, each once, in the order of their last
    occurrence (the last term stays last: it is the one sought in the file name)."""
    seen: dict[str, None] = {}
    for term in reversed(query.lower().split()):
        seen.setdefault(term)
    return tuple(reversed(seen))


def score(text: str, terms: list[str]) -> tuple[int, int] | None:
    """(0 if the last term lies in the file name else 1, total width of the
    terms' windows), or None when a term does not match."""
    width = 0
    for term in terms:
        found = span(text, term)
        if found is None:
            return None
        width += found[1] - found[0]
    base = text.rfind("/") + 1
    return (0 if span(text[base:], terms[-1]) is not None else 1), width
