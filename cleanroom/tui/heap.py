"""The reviewer terminal's heap and Python's cyclic garbage collector.

A full collection walks every object the process holds: once the terminal is
up that is some 80,000 (textual, rich, Pygments, the session), a walk of about
50 ms CPU on this project's loaded 2-core machine. Drawing a page allocates
thousands of objects (each textual `Strip` comes with seven caches), so a full collection
came about every ten page turns with hits marked, and the key it landed in
missed its 30 ms (issue 15). `settle` moves everything the terminal holds once
it is up into the collector's permanent generation, which collections do not
walk: a full collection then costs what the session made since (under 1 ms
just after). What it moves is never collected as a cycle while the terminal
runs (it is the terminal itself, kept to the end; a cycle that is garbage at
that moment waits, a one-off of start-up), and is still freed by reference
counting; `release` hands it all back to the collector when the terminal ends
(a process that runs several, as the tests do, frees each).
scripts/bench/tui.py reports the collector's time and full collections per key.
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
