"""The verifier's tap for a report: rows become records where they are checked.

`Spill.part(k)` runs in whichever process checks part `k` of the file (forked
children included, `cleanroom.ledger.verify.Tap`): each row it is given is turned
into a record (`convert`, None for a row that gives none) and written, a chunk at
a time, to that part's file in a private directory (0700, made by the reading
process). `gather` then moves the parts, in order, into the reading's `Store` and
removes the directory: the records are those of the rows judged, in seq order,
and the decoding was done by the processes that read the rows, in parallel.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .store import CHUNK, Chunk, Store

CHUNK_RECORDS = 1024  # records a chunk: a few hundred KB to decode at a time
Convert = Callable[[object, dict[Any, Any]], tuple[Any, ...] | None]  # (body, names) -> record


class Spill:
    """One ledger's parts, while the verifier reads it."""

    def __init__(self, convert: Convert) -> None:
        self._convert = convert
        self._dir = Path(tempfile.mkdtemp(prefix="cleanroom-parts-"))  # 0700

    def restart(self) -> None:
        for f in self._dir.iterdir():
            f.unlink()

    @contextlib.contextmanager
    def part(self, k: int) -> Iterator[Callable[[object], None]]:
        convert, names = self._convert, {}
        records: list[tuple[Any, ...]] = []
        missing = 0
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with open(os.open(self._dir / f"part-{k:08d}", flags, 0o600), "wb") as out:

            def flush() -> None:
                nonlocal missing
                data = marshal.dumps(records)
                out.write(CHUNK.pack(len(data), len(records), missing) + data)
                records.clear()
                missing = 0

            def sink(row: object) -> None:
                nonlocal missing
                record = convert(row[1], names)  # type: ignore[index]
                if record is None:
                    missing += 1
                else:
                    records.append(record)
                    if len(records) >= CHUNK_RECORDS:
                        flush()

            yield sink
            if records or missing:
                flush()

    def gather(self, store: Store) -> tuple[list[Chunk], int]:
        """The parts' chunks, moved into `store` in part order, and the rows that
        gave no record. The directory is gone after."""
        chunks: list[Chunk] = []
        missing = 0
        try:
            for f in sorted(self._dir.iterdir()):
                with f.open("rb") as part:  # a chunk at a time: a part can be a whole file
                    while head := part.read(CHUNK.size):
                        size, count, gone = (
                            CHUNK.unpack(head) if len(head) == CHUNK.size else (0, 0, -1)
                        )
                        body = part.read(size)
                        if gone < 0 or len(body) != size:
                            raise OSError(f"spill part {f.name}: a chunk is cut short")
                        missing += gone
                        if count:
                            chunks.append(Chunk(store.add(body), size, count))
                f.unlink()
        finally:
            self.discard()
        return chunks, missing

    def discard(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
