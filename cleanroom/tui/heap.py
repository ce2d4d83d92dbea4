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
`hold` keeps the collector out of the way between a key and the code view's
frame that shows it (as textual's PAUSE_GC_ON_SCROLL does for its animated
scrolls): the collections that would have run there run once the frame is out.
scripts/bench/tui.py reports the collector's time and full collections per key.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

HOLD_AT_MOST = 0.5  # seconds without collections after a key, whatever happens
_held = False  # whether `hold` turned the collector off


def settle() -> int:
    """Freeze the heap as it is now (the terminal started); returns how many
    objects the collector will no longer walk."""
    gc.freeze()
    return gc.get_freeze_count()


def hold(at_latest: Callable[[float, Callable[[], None]], object]) -> None:
    """No collection until `resume` (the code view calls it once its next frame is
    out), or for `HOLD_AT_MOST` seconds at most (`at_latest`: the app's set_timer;
    a key that draws no code never leaves the collector off)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True
        at_latest(HOLD_AT_MOST, resume)


def held() -> bool:
    return _held


def resume() -> None:
    """The collector on again, if `hold` turned it off."""
    global _held
    if _held:
        _held = False
        gc.enable()


def release() -> None:
    """Hand the frozen heap back to the collector (the terminal ended), on."""
    gc.unfreeze()
    resume()


__all__ = ["hold", "held", "release", "resume", "settle"]
