"""The verifier's tap for a report: rows become records where they are checked.

`Spill.part(k)` runs in whichever process checks part `k` of the file (forked
children included, `cleanroom.ledger.verify.Tap`): each row it is given is turned
into a record (`convert`, None for a row that gives none; given the payload
the verifier parsed, so it is not parsed again) and written, a chunk at
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
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from .store import CHUNK, Chunk, Store

CHUNK_RECORDS = 1024  # records a chunk: a few hundred KB to decode at a time
# (body, its payload as the verifier parsed it or None, names) -> record
Convert = Callable[[object, Any, dict[Any, Any]], tuple[Any, ...] | None]


class Ready(Protocol):
    """Who takes each chunk of records as it is gathered, in order (`Spill`)."""

    def chunk(self, index: int, records: list[tuple[Any, ...]]) -> None: ...

    def restart(self) -> None: ...


class Spill:
    """One ledger's parts, while the verifier reads it.

    With `store`, the reading process moves each finished part into it as soon as
    every part before it is there too (after each part it checks itself, and in
    `gather`), and hands its records to `ready` in seq order: a report analyses
    the first parts while the processes still check the last (ADR 0311). A part
    is finished when its file has its own name: it is written as `.partial`."""

    def __init__(
        self, convert: Convert, store: Store | None = None, ready: Ready | None = None
    ) -> None:
        self._convert = convert
        self._owner = os.getpid()
        sweep()  # what a killed reading left behind
        self._dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{self._owner}-"))  # 0700
        self._store, self._ready = store, ready
        self._next = 1  # the next range part to gather (part 0: a file read whole)
        self._chunks: list[Chunk] = []
        self._missing = 0

    def restart(self) -> None:
        for f in self._dir.iterdir():
            f.unlink()
        self._next, self._chunks, self._missing = 1, [], 0
        if self._ready is not None:
            self._ready.restart()

    @contextlib.contextmanager
    def part(self, k: int) -> Iterator[Callable[[object], None]]:
        convert, names = self._convert, {}
        records: list[tuple[Any, ...]] = []
        missing = 0
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        name = self._dir / _name(k)
        writing = name.with_name(name.name + ".partial")
        with open(os.open(writing, flags, 0o600), "wb") as out:

            def flush() -> None:
                nonlocal missing
                data = marshal.dumps(records)
                out.write(CHUNK.pack(len(data), len(records), missing) + data)
                records.clear()
                missing = 0

            def sink(row: object, payload: object = None) -> None:
                nonlocal missing
                record = convert(row[1], payload, names)  # type: ignore[index]
                if record is None:
                    missing += 1
                else:
                    records.append(record)
                    if len(records) >= CHUNK_RECORDS:
                        flush()

            yield sink
            if records or missing:
                flush()
        os.rename(writing, name)  # finished: only now may it be gathered
        if self._store is not None and os.getpid() == self._owner:
            self._advance(self._store)

    def _advance(self, store: Store) -> None:
        """Gather the finished parts that follow those gathered, in order."""
        if self._next == 1 and (whole := self._dir / _name(0)).exists():
            self._take(whole, store)
            self._next = 0  # a file read whole has no other part
            return
        while self._next and (f := self._dir / _name(self._next)).exists():
            self._take(f, store)
            self._next += 1

    def _take(self, f: Path, store: Store) -> None:
        with f.open("rb") as part:  # a chunk at a time: a part can be a whole file
            while head := part.read(CHUNK.size):
                size, count, gone = CHUNK.unpack(head) if len(head) == CHUNK.size else (0, 0, -1)
                body = part.read(size)
                if gone < 0 or len(body) != size:
                    raise OSError(f"spill part {f.name}: a chunk is cut short")
                self._missing += gone
                if count:
                    self._chunks.append(Chunk(store.add(body), size, count))
                    if self._ready is not None:
                        # Our own part file (see store.py): never another party's.
                        self._ready.chunk(len(self._chunks) - 1, marshal.loads(body))  # noqa: S302
        f.unlink()

    def gather(self, store: Store) -> tuple[list[Chunk], int]:
        """The parts' chunks, moved into `store` in part order, and the rows that
        gave no record. The directory is gone after."""
        try:
            if self._store is not None:
                self._advance(store)  # what is left, in order, as `ready` expects it
            for f in sorted(self._dir.iterdir()):
                if f.name.endswith(".partial"):
                    raise OSError(f"spill part {f.name}: never finished")
                self._take(f, store)
        finally:
            self.discard()
        return self._chunks, self._missing

    def discard(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


PREFIX = "cleanroom-parts-"  # then the reading process's pid, "-" and mkdtemp's letters


def sweep(where: str | None = None) -> list[str]:
    """Remove the parts directories that readings killed before their cleanup ran
    left in the temporary directory (SIGKILL, out of memory, a power cut: no
    `finally` runs): those of this user whose process is gone. A directory whose
    process lives (another report running, or a pid taken again) is left alone;
    so is anything that is not a plain directory of ours. Returns the names removed."""
    root = Path(where or tempfile.gettempdir())
    removed = []
    try:
        names = [n for n in os.listdir(root) if n.startswith(PREFIX)]
    except OSError:
        return removed
    for name in names:
        pid_text = name[len(PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        try:
            st = os.lstat(root / name)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            continue
        shutil.rmtree(root / name, ignore_errors=True)
        removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    if pid <= 0 or pid > 1 << 22:
        return True  # not a pid of ours to judge: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def _name(k: int) -> str:
    return f"part-{k:08d}"
