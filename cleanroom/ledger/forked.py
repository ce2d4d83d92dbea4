"""Run numbered tasks on this process and on forked children (issue 10 §5).

`verify_path` cuts a large ledger into ranges that each process reads and checks
on its own. `multiprocessing.Pool` served for that, at 10-17 ms of CPU and 30-50
ms of wall time to start and stop two workers (three threads in the parent, a
pickled task and result per range, a worker kept idle until the pool ends): at
10,000 entries, 6 % of the whole verification. Here the caller's process works
too, from the moment the children are forked, and each child reports once:

- the task numbers wait in a pipe, written before any process starts; each
  process takes the next one (two bytes, one read) whenever it is free, so a
  process the machine slows down takes fewer tasks;
- a child pickles its results once, to a pipe of its own, and leaves with
  `os._exit` (no parent's cleanup runs twice); an exception in a task is
  pickled instead and raised here, as `Pool.map` does;
- a child that ends without reporting (killed, out of memory) is
  `ChildFailed`, never a wait for ever; on any error every child is killed.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_INDEX = struct.Struct(">H")
MAX_TASKS = 1 << 14  # their numbers fill half a pipe's 64 KiB buffer, written before any read


class ChildFailed(RuntimeError):
    """A forked child ended without handing back its results."""


def forked_map(task: Callable[[int], T], count: int, workers: int) -> list[T]:
    """[task(0), …, task(count - 1)], computed by this process and `workers - 1`
    forked children. Only for a process with no other thread (fork)."""
    if not 0 <= count <= MAX_TASKS:
        raise ValueError(f"{count} tasks: at most {MAX_TASKS}")
    queue, fill = os.pipe()
    children: dict[int, int] = {}  # pid -> read end of its results pipe
    try:
        with os.fdopen(fill, "wb") as f:
            f.write(b"".join(_INDEX.pack(k) for k in range(count)))
    except BaseException:
        os.close(queue)
        raise
    try:
        for _ in range(max(0, min(workers, count) - 1)):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's coverage is not collected
                os.close(read_end)
                _child(task, queue, write_end)
            os.close(write_end)
            children[pid] = read_end
        results = dict(_take(task, queue))
        for pid in list(children):
            results.update(_collect(pid, children.pop(pid)))
        return [results[k] for k in range(count)]
    finally:
        os.close(queue)
        for pid, read_end in children.items():  # only after an error
            os.close(read_end)
            _end(pid)


def _take(task: Callable[[int], T], queue: int) -> Iterator[tuple[int, T]]:
    while len(taken := os.read(queue, _INDEX.size)) == _INDEX.size:
        k = _INDEX.unpack(taken)[0]
        yield k, task(k)


def _child(task: Callable[[int], object], queue: int, out: int) -> None:  # pragma: no cover
    """Run tasks until none is left, report, and leave without unwinding."""
    try:
        # The parent's handlers are not the child's: a signal ends it at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        gc.freeze()  # never freed here: collections need not walk (and copy) it
        try:
            report = pickle.dumps((True, list(_take(task, queue))))
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
            report = _pickled_error(exc)
        with os.fdopen(out, "wb") as f:
            f.write(report)
    finally:
        os._exit(0)


def _pickled_error(exc: Exception) -> bytes:
    try:
        return pickle.dumps((False, exc))
    except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
        return pickle.dumps((False, ChildFailed(f"{type(exc).__name__}: {exc}")))


def _collect(pid: int, read_end: int) -> list[tuple[int, object]]:
    try:
        with os.fdopen(read_end, "rb") as f:
            report = f.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if not report:
        raise ChildFailed(f"a verifying process ended without its results (status {status})")
    ok, value = pickle.loads(report)  # noqa: S301 - our own child's bytes, over our own pipe
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
