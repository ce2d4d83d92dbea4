"""The suite's own ordering (tests/longfirst.py): long tests are dealt to the head
of each xdist worker's first chunk, and no test is lost or run twice."""

from __future__ import annotations

import pytest

from tests.longfirst import chunk_sizes, long_first


def cut(items: list, workers: int) -> list[list]:
    chunks, at = [], 0
    for size in chunk_sizes(len(items), workers):
        chunks.append(items[at : at + size])
        at += size
    return chunks


@pytest.mark.parametrize("n, workers", [(0, 2), (1, 2), (7, 2), (10, 3), (4001, 2), (97, 8)])
def test_chunk_sizes_cover_every_test_once(n: int, workers: int) -> None:
    sizes = chunk_sizes(n, workers)
    assert len(sizes) == workers and sum(sizes) == n and max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("workers", [2, 3, 4])
def test_every_worker_starts_with_its_share_of_long_tests(workers: int) -> None:
    # long ones scattered through the list, many of them near its end
    items = list(range(60))
    long = [i % 7 == 3 or i > 52 for i in items]
    ordered = long_first(items, long, workers)
    assert sorted(ordered) == items  # a permutation: nothing dropped or repeated
    slow = [i for i in items if long[i]]
    for k, chunk in enumerate(cut(ordered, workers)):
        mine = slow[k::workers]
        assert chunk[: len(mine)] == mine, (k, chunk)
        assert not any(long[i] for i in chunk[len(mine) :]), (k, chunk)
        quick = [i for i in chunk if not long[i]]
        assert quick == sorted(quick)  # the short ones keep their order


def test_with_no_long_tests_the_order_is_unchanged() -> None:
    items = list(range(25))
    assert long_first(items, [False] * 25, 2) == items


def test_more_long_tests_than_a_chunk_holds_still_loses_none() -> None:
    items = list(range(9))
    ordered = long_first(items, [True] * 7 + [False] * 2, 2)
    assert sorted(ordered) == items and ordered[:4] == [0, 2, 4, 6]
