"""The reviewer terminal's heap and Python's cyclic garbage collector.

A full collection walks every object the process holds: at start-up that is
some 90,000 (textual, rich, Pygments, the session), and walking them took
tens of milliseconds. Drawing a page allocates thousands of short-lived
objects (textual's `Strip` alone is eight), so full collections came every few
page turns, and the key they landed in missed its 30 ms (issue 15: PageDown
with hits on every line, p95). `settle` moves everything the terminal holds
once it is up into the collector's permanent generation, which collections do
not walk: they then cost what the session made since. What it moves is never
collected as a cycle while the terminal runs (it is the terminal itself, kept
to the end; a cycle that is garbage at that moment waits, a one-off of
start-up), and is still freed by reference counting; `release` hands it all
back to the collector when the terminal ends (a process that runs several, as
the tests do, frees each).
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Freeze the heap as it is now (the terminal started); returns how many
    objects the collector will no longer walk."""
    gc.freeze()
    return gc.get_freeze_count()


def release() -> None:
    """Hand the frozen heap back to the collector (the terminal ended)."""
    gc.unfreeze()


__all__ = ["release", "settle"]
