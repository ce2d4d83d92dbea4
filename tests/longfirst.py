"""Long tests first, dealt over the xdist workers (a pytest plugin, conftest.py).

scripts/test runs `-n auto --dist worksteal`: xdist cuts the collected list into
one contiguous chunk a worker, each runs its chunk in order, and a worker that
runs dry steals the tail of another's queue. A test already running cannot be
stolen, so a long one (a real terminal, a sweep) that starts near the end of a
chunk holds up the end of the suite while the other worker idles. Here the long
tests are dealt in turn to the head of each worker's chunk, and the short ones
fill the rest: every worker starts with its share of long ones, and the short
ones balance the end.

Long: marked `slow`, or in a module that drives a real terminal (it imports
tests/tmuxkit.py's `Tmux`). Only the order changes: every test still runs, with
its own fixtures. Without xdist (`-n 0`) the order is left alone.
"""

from __future__ import annotations

import os

import pytest

from tests.tmuxkit import Tmux


def is_long(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return item.get_closest_marker("slow") is not None or getattr(module, "Tmux", None) is Tmux


def chunk_sizes(n: int, workers: int) -> list[int]:
    """How xdist's worksteal scheduler first cuts n tests over `workers` idle
    workers (WorkStealingScheduling.check_schedule)."""
    sizes = []
    for i in range(workers):
        size = n // (workers - i)
        sizes.append(size)
        n -= size
    return sizes


def long_first(items: list, long: list[bool], workers: int) -> list:
    """`items` reordered: chunk k (as xdist will cut it) starts with the long
    items k, k + workers, ..., then short items in their order."""
    slow = [x for x, is_slow in zip(items, long, strict=True) if is_slow]
    quick = [x for x, is_slow in zip(items, long, strict=True) if not is_slow]
    ordered: list = []
    for k, size in enumerate(chunk_sizes(len(items), workers)):
        head = slow[k::workers]
        fill = max(0, size - len(head))
        ordered += head + quick[:fill]
        del quick[:fill]
    ordered += quick
    return ordered


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        items[:] = long_first(items, [is_long(x) for x in items], workers)
