"""Names in a note that occur only once or twice in the snapshot.

Such a name identifies code precisely even when it is short (`tcp_v4_rcv`), so a
note naming it says where it looked. A name here is an identifier of at least
four characters that looks like code rather than a word: it holds `_` or a
digit or a lower-case letter followed by a capital, or it is at least eight
characters long. Occurrences are counted as whole identifiers, case-sensitively,
in every file (a blob held at two paths counts twice).

The snapshot's name table (`names.py`) holds every count, so a name is looked up
once and only the blobs of a rare one are read (for its lines). Without the
table, the index is asked instead, and a name whose letters it finds in more
than `MAX_FILES` blobs counts as common without being read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .corpus import COMMON, SnapshotText
from .normal import strip
from .verbatim import Place

MAX_FILES = 16
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE_LIKE = re.compile(r"_|[0-9]|[a-z][A-Z]")


@dataclass(frozen=True)
class RareName:
    name: str
    places: tuple[Place, ...]


def code_names(text: str) -> list[str]:
    """The code-like names in `text`, each once, in order of first appearance."""
    seen: dict[str, None] = {}
    for m in _NAME.finditer(text):
        name = m[0]
        if len(name) >= 8 or (len(name) >= 4 and _CODE_LIKE.search(name)):
            seen.setdefault(name, None)
    return list(seen)


def rare_names(text: str, corpus: SnapshotText, at_most: int = 2) -> list[RareName]:
    """The rare names of `text`, read with invisible characters dropped (ADR 0410), as
    the name table counts the source's: `frob\u200b_ring` names `frob_ring`."""
    found = []
    names = code_names(strip(text))
    if corpus.names is not None:
        corpus.names.prefetch(names)
    for name in names:
        if corpus.names is not None:
            facts = corpus.names.facts(name)
            if facts is None or facts.weight > at_most or facts.rowids is None:
                continue
            docs: frozenset[int] | None = frozenset(facts.rowids)
        else:
            docs = corpus.docs_with(name)
            if not docs or docs is COMMON or len(docs) > MAX_FILES:
                continue
        places: list[Place] = []
        for rowid in sorted(docs):
            raw = corpus.text(rowid).stripped
            lines = [raw.count("\n", 0, at) + 1 for at in whole_at(raw, name)]
            places += [Place(p, line) for p in corpus.paths(rowid) for line in lines]
            if len(places) > at_most:
                break
        if 0 < len(places) <= at_most:
            found.append(RareName(name, tuple(places)))
    return found


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def whole_at(text: str, name: str) -> list[int]:
    """Where `name` (a non-empty identifier) occurs in `text` as a whole identifier,
    with no `[A-Za-z0-9_]` just before or after it. A search, not a regular
    expression: compiling one per name was a tenth of the check (ADR 0405)."""
    found = []
    at = text.find(name)
    while at >= 0:
        end = at + len(name)
        if (at == 0 or text[at - 1] not in _WORD_CHARS) and (
            end == len(text) or text[end] not in _WORD_CHARS
        ):
            found.append(at)
        at = text.find(name, at + 1)
    return found
