"""The first page of a search, shown before its pass ends (docs/events.md,
`search_start`). A search of a large snapshot for a common string takes seconds
to count; its first PAGE rows are found in milliseconds. They may be shown once
a `search_start` entry names them: the query, how many rows, and the digest of
those rows as if they were the whole result list (`first_digest`), which replay
and the forensics tools check against the first rows of the search run again.
The `search` entry with the total and the full digest follows when the pass
ends, or a `search_cancel` if it is stopped first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..snapshot.results import ResultDigest


@dataclass(frozen=True)
class FirstPage:
    """The first rows of a running search, not yet recorded: nothing of it may be
    shown before `ReviewSession.record_first` returns."""

    query: Any
    hits: list[Any]
    refusals: list[str | None]  # per hit: why its text may not be shown, or None

    @property
    def digest(self) -> str:
        return first_digest(self.query.to_json(), self.hits)


def first_digest(query: dict[str, Any], hits: Sequence[Any]) -> str:
    """The result digest (docs/snapshot-format.md) of `hits` taken as a whole list:
    what `search_start` records of the rows it lets the terminal show."""
    digest = ResultDigest(query)
    digest.add_all(list(hits))
    return digest.finish()
