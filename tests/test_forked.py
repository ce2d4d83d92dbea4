"""forked_map: the verifier's processes (cleanroom/ledger/forked.py). Real forks."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from cleanroom.ledger.forked import MAX_TASKS, ChildFailed, forked_map


@pytest.fixture(autouse=True)
def _single_thread() -> None:
    assert threading.active_count() == 1, "fork is refused beside other threads"


def test_every_task_once_in_order_across_processes() -> None:
    assert forked_map(lambda k: k * k, 40, 3) == [k * k for k in range(40)]


def test_children_take_tasks_and_this_process_too() -> None:
    import time

    def slow(k: int) -> int:
        time.sleep(0.05)
        return os.getpid()

    pids = forked_map(slow, 12, 2)
    assert os.getpid() in pids
    assert len(set(pids)) == 2


@pytest.mark.parametrize("count", [0, 1])
def test_few_tasks(count: int) -> None:
    assert forked_map(lambda k: k + 1, count, 4) == list(range(1, count + 1))


def test_too_many_tasks_are_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        forked_map(lambda k: k, MAX_TASKS + 1, 2)


def test_a_task_error_in_a_child_is_raised_here() -> None:
    parent = os.getpid()

    def task(k: int) -> int:
        if os.getpid() != parent:
            raise KeyError(f"task {k}")
        import time

        time.sleep(0.05)  # leave the children tasks to take
        return k

    with pytest.raises(KeyError, match="task"):
        forked_map(task, 8, 2)


def test_a_child_that_dies_is_an_error_not_a_hang() -> None:
    parent = os.getpid()

    def task(k: int) -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        import time

        time.sleep(0.05)
        return k

    with pytest.raises(ChildFailed, match="without its results"):
        forked_map(task, 8, 2)


def test_an_error_here_kills_and_reaps_the_children() -> None:
    parent = os.getpid()

    def task(k: int) -> int:
        if os.getpid() == parent:
            raise RuntimeError("here")
        import time

        time.sleep(30)  # a child that would outlive the error
        return k

    before = children()
    with pytest.raises(RuntimeError, match="here"):
        forked_map(task, 4, 3)
    assert children() == before  # none left running, none left a zombie


def children() -> set[str]:
    """This process's children, live or zombie, as the kernel lists them."""
    found: set[str] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as f:
            found |= set(f.read().split())
    return found
