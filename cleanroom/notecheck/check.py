"""The verbatim check over a set of notes: fragments and rare names per note."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..forensics.notes import WrittenNote
from .corpus import SnapshotText
from .rare import RareName, rare_names
from .verbatim import Fragment, verbatim_runs

DEFAULT_MIN_LENGTH = 40
MIN_MIN_LENGTH = 8  # shorter runs match ordinary words and punctuation everywhere


@dataclass(frozen=True)
class NoteCheck:
    note: WrittenNote
    fragments: tuple[Fragment, ...]
    rare: tuple[RareName, ...]
    unconfirmed: int = 0  # windows of common words not confirmed (verbatim.py)

    @property
    def flagged(self) -> bool:
        return bool(self.fragments or self.rare)


def check_notes(
    notes: Sequence[WrittenNote],
    corpus: SnapshotText,
    min_length: int = DEFAULT_MIN_LENGTH,
    progress: Callable[[], None] | None = None,
) -> list[NoteCheck]:
    """Check each note's title and body; `progress` is called after each note."""
    if min_length < MIN_MIN_LENGTH:
        raise ValueError(f"min_length below {MIN_MIN_LENGTH}")
    out = []
    for written in notes:
        n = written.note
        title = verbatim_runs(n.title, corpus, min_length, "title")
        body = verbatim_runs(n.body, corpus, min_length, "body")
        names = rare_names(n.title + "\n" + n.body, corpus)
        fragments = (*title.fragments, *body.fragments)
        out.append(
            NoteCheck(written, fragments, tuple(names), title.unconfirmed + body.unconfirmed)
        )
        if progress is not None:
            progress()
    return out
