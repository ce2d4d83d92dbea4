"""The source of a watched file, for `cleanroom report --with-source`: checked first.

The vendor may want the lines beside their heat strip. They come only from a
snapshot given with --snapshot, and only after `checked_content` has re-hashed
the stored content against the signed blob (the same check the reviewer
terminal makes before it shows a line); otherwise the report says why there is
no source. Binary content is never shown as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

from ..snapshot.content import checked_content
from ..snapshot.store import Snapshot
from .mismatch import content_at
from .versions import find_blob


@dataclass
class SourceText:
    """Lines of checked contents, by blob (hex), read at most once each."""

    snapshots: Sequence[Snapshot]
    _cache: dict[str, Sequence[bytes] | str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f"{s.manifest.name} {s.manifest.version} ({s.id})" for s in self.snapshots]

    def lines(self, blob: str, path: bytes | None = None) -> Sequence[bytes] | str:
        """The lines of content `blob`, or why they cannot be shown. With `path`,
        only if some snapshot given holds `blob` at exactly `path`: a ledger that
        names no snapshot given (or none) could otherwise print one file's lines
        under another's name (outside attack on issue 14)."""
        if path is not None and not any(content_at(s, path) == blob for s in self.snapshots):
            return "no snapshot given holds this content at this path"
        if blob not in self._cache:
            self._cache[blob] = self._read(blob)
        return self._cache[blob]

    def _read(self, blob: str) -> Sequence[bytes] | str:
        found = find_blob(self.snapshots, blob)
        if found is None:
            return "no snapshot given holds this content"
        snap, info = found
        if info.binary:
            return "binary content: not shown as text"
        checked = checked_content(snap, info.hash, info.size)
        if isinstance(checked, str):
            return f"not shown: {checked}"
        data, starts = checked.data, checked.starts
        if not starts:  # an empty file: shown as one empty line 1 (docs/protocol.md §5)
            return [b""]
        return Lines(data, starts)


class Lines(Sequence[bytes]):
    """A checked content's lines, each cut out when asked for: the content and its
    line starts only, not one bytes object per line (a 3 MB file of a million short
    lines took 115 MB as a list; atk14)."""

    def __init__(self, data: bytes, starts: Sequence[int]) -> None:
        self._data, self._starts = data, starts

    def __len__(self) -> int:
        return len(self._starts)

    def __eq__(self, other: object) -> bool:  # as the list of its lines
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to a list, so unhashable like one

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...
    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        end = self._starts[i + 1] if i + 1 < len(self) else len(self._data)
        return self._data[self._starts[i] : end].removesuffix(b"\n")
