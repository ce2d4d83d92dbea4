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

from ..snapshot.content import checked_content
from ..snapshot.store import Snapshot
from .mismatch import content_at
from .versions import find_blob


@dataclass
class SourceText:
    """Lines of checked contents, by blob (hex), read at most once each."""

    snapshots: Sequence[Snapshot]
    _cache: dict[str, list[bytes] | str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f"{s.manifest.name} {s.manifest.version} ({s.id})" for s in self.snapshots]

    def lines(self, blob: str, path: bytes | None = None) -> list[bytes] | str:
        """The lines of content `blob`, or why they cannot be shown. With `path`,
        only if some snapshot given holds `blob` at exactly `path`: a ledger that
        names no snapshot given (or none) could otherwise print one file's lines
        under another's name (outside attack on issue 14)."""
        if path is not None and not any(content_at(s, path) == blob for s in self.snapshots):
            return "no snapshot given holds this content at this path"
        if blob not in self._cache:
            self._cache[blob] = self._read(blob)
        return self._cache[blob]

    def _read(self, blob: str) -> list[bytes] | str:
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
        ends = [*starts[1:], len(data)]
        return [data[a:b].removesuffix(b"\n") for a, b in zip(starts, ends, strict=True)]
