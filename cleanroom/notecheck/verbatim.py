"""Runs of a note that occur verbatim in the snapshot (docs/notes-release.md §1).

A run starts at a word of the note (after whitespace normalisation) and is at
least `min_length` characters long. For each start, the shortest such window is
looked for: its candidates are the blobs the trigram index names for every one
of its words (the longest first, stopping once few are left), and each candidate
is confirmed by exact, case-sensitive matching in its normalised text (for an
ASCII blob, in its raw bytes: `rawmatch.py`, ADR 0405). A window
found is then grown word by word while it is still found, and reported once,
with every place (path, line of the run's first character) it occurs.

A window none of whose words has three characters (`x = a + b ;`) cannot be
looked up in the index and is not checked; a run that starts inside a word of
the note is found from its next word on. A window made only of common words
(each in more than `corpus.COMMON_BLOBS` blobs, as prose is beside the comments
of a large tree) is not confirmed and is counted as *unconfirmed*. When more
than `MAX_CANDIDATES` blobs hold all of a window's words, only the
`MAX_CANDIDATES` smallest are read: a window not among them is counted as unconfirmed,
and a run found there is marked `partial` (it may occur in more places).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .corpus import COMMON, SnapshotText
from .names import MIN_NAME
from .normal import normalise, words
from .rawmatch import raw_window

_FEW = 16  # candidates few enough to confirm rather than ask the index again
MAX_CANDIDATES = 32  # blobs read to confirm one window
MAX_WINDOWS = 200_000  # windows remembered (about 40 characters each)
_RUN = re.compile(r"[A-Za-z0-9_]+")  # ASCII, as the name table counts them


@dataclass(frozen=True)
class Place:
    path: bytes
    line: int


@dataclass(frozen=True)
class Fragment:
    """A run of the note's `field` (normalised) found verbatim in the snapshot."""

    field: str
    text: str
    places: tuple[Place, ...]
    partial: bool = False  # found among capped candidates: there may be more places


@dataclass
class Runs:
    fragments: list[Fragment]
    unconfirmed: int  # windows of common words not found among the capped candidates


def verbatim_runs(text: str, corpus: SnapshotText, min_length: int, field: str) -> Runs:
    normal = normalise(text)
    parts = normal.split(" ") if normal else []  # its words: one space between each two
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    ends = np.cumsum(lengths + 1) - 1
    starts = ends - lengths
    # each start's shortest window: the first word ending `min_length` or more past it
    # (never before the start's own word); a start with none, and every later one, has none
    lasts = np.searchsorted(ends, starts + min_length)
    firsts = np.flatnonzero(lasts < len(parts))
    lasts = lasts[firsts]
    if corpus.pairs is not None and firsts.size:
        held = corpus.pairs.gaps(parts).may_hold_all(firsts, lasts)
        corpus.ruled_out += int(firsts.size - np.count_nonzero(held))
        # the others hold two or three inner words consecutive in no text: nowhere
        firsts, lasts = firsts[held], lasts[held]
    end_of = ends.tolist()
    found: list[Fragment] = []
    unconfirmed = 0
    reach = 0  # where the last reported run ends
    for i, j in zip(firsts.tolist(), lasts.tolist(), strict=True):
        start = end_of[i] - len(parts[i])
        window = normal[start : end_of[j]]
        looked = corpus.windows.get(window)
        if looked is None:
            looked = corpus.windows[window] = _look(corpus, window)
            if len(corpus.windows) > MAX_WINDOWS:
                corpus.windows.clear()
        hits, capped = looked
        if hits is None:
            unconfirmed += 1
            continue
        if not hits:
            unconfirmed += capped
            continue
        k = j
        while k + 1 < len(parts):
            longer = normal[start : end_of[k + 1]]
            more = [d for d in hits if longer in corpus.text(d).text]
            if not more:
                break
            hits, k = more, k + 1
        if end_of[k] <= reach:
            continue  # a tail of the run already reported, found nowhere else longer
        reach = end_of[k]
        run = normal[start:reach]
        found.append(Fragment(field, run, _places(run, hits, corpus), capped))
    return Runs(found, unconfirmed)


def _look(corpus: SnapshotText, window: str) -> tuple[list[int] | None, bool]:
    """(the candidate blobs that hold `window`, whether the candidates were capped);
    None for the blobs when the window cannot be confirmed (common words only).
    A function of the window alone, so remembered for the whole check: notes
    repeat their phrases, and so do windows."""
    docs = _named_candidates(corpus, window)
    spliced: list[int] = []  # the name table counts normalised text: it names them
    if docs is None:
        docs = _candidates(corpus, words_of(window))
        if docs is None:
            return None, False
        # the index reads raw text, which may split a word the normalised text
        # joins (ADR 0410): those few blobs are candidates too, beyond the cap
        spliced = corpus.spliced_candidates(window)
    capped = len(docs) > MAX_CANDIDATES
    if capped:  # the smallest: the most windows confirmed for the least reading
        docs = corpus.smallest(docs, MAX_CANDIDATES)
    raw = raw_window(window)
    if spliced:
        docs = sorted({*docs, *spliced})
    return [d for d in docs if corpus.holds(d, raw)], capped


def words_of(normal: str) -> list[str]:
    return [normal[a:b] for a, b in words(normal)]


def _named_candidates(corpus: SnapshotText, window: str) -> list[int] | None:
    """Blobs that may hold the window, from the name table: those holding every name
    wholly inside it, and, for a run touching either end (where the source may run
    on), a name ending (at the start) or beginning (at the end) with it. None when
    there is no table or every such name is common (then the index decides)."""
    if corpus.names is None:
        return None
    docs: set[int] | None = None
    for m in _RUN.finditer(window):
        a, b = m.span()
        if b - a < MIN_NAME or (a == 0 and b == len(window)):
            continue  # a window inside one run: the source's name may be anything around it
        if a == 0 or b == len(window):
            held = corpus.names.around(m[0], at_start=a == 0)
            if held is None:
                continue
        else:
            facts = corpus.names.facts(m[0])
            if facts is None:
                return []  # a name no text holds: nor does any the window
            if facts.rowids is None:
                continue
            held = set(facts.rowids)
        docs = held if docs is None else docs & held
        if not docs:
            return []
    return None if docs is None else sorted(docs)


def _candidates(corpus: SnapshotText, window_words: list[str]) -> list[int] | None:
    """Blobs that may hold the window, ascending; empty if none or not searchable;
    None if every searchable word of it is common."""
    docs: frozenset[int] | None = None
    common = False
    for word in sorted(set(window_words), key=len, reverse=True):
        found = COMMON if _common_name(corpus, word) else corpus.docs_with(word)
        if found is COMMON:
            common = True
            continue
        if found is None:
            continue
        docs = found if docs is None else docs & found
        if len(docs) <= _FEW:
            break
    if docs is None and common:
        return None
    return sorted(docs or ())


def _common_name(corpus: SnapshotText, word: str) -> bool:
    """A word that is one whole name of more than COMMON_BLOBS blobs: the index would
    find it in at least those (and more, inside longer names), so it is COMMON
    without asking."""
    if corpus.names is None or len(word) < MIN_NAME or not _RUN.fullmatch(word):
        return False
    facts = corpus.names.facts(word)
    return facts is not None and facts.rowids is None


def _places(run: str, docs: list[int], corpus: SnapshotText) -> tuple[Place, ...]:
    places = []
    for rowid in docs:
        blob = corpus.text(rowid)
        lines = []
        at = blob.text.find(run)
        while at >= 0:
            lines.append(blob.line_at(at))
            at = blob.text.find(run, at + 1)
        places += [Place(path, line) for path in corpus.paths(rowid) for line in lines]
    return tuple(sorted(places, key=lambda p: (p.path, p.line)))
