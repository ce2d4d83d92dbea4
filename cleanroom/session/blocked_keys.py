"""Keys that try to leave, copy, save or signal, and how their presses are coalesced.

The terminal runs in raw mode, so ctrl+z, ctrl+\\, ctrl+c and ctrl+s reach the
app as keys rather than signals; nothing in the clean room does what they ask.
`is_blocked_key` says which keys are such attempts: any chord with ctrl, alt,
meta, super or hyper that nothing on screen binds (except modified navigation
keys such as ctrl+left), and any function key that nothing binds.

Coalescing rule (docs/events.md, `blocked`): the first press of a key is recorded
at once. Further presses of the *same* key, each within `WINDOW_S` of the one
before (a held key repeats every ~30 ms), are only counted; when the burst ends
(`WINDOW_S` without that key, another blocked key, or the seal), one more entry
records how many presses it held and for how long. So a held key costs two
entries, and every distinct attempt still gets its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .events import Blocked

WINDOW_S = 1.0
MODIFIERS = ("ctrl+", "alt+", "meta+", "super+", "hyper+")
NAVIGATION = frozenset({"up", "down", "left", "right", "home", "end", "pageup", "pagedown",
                        "tab", "enter", "escape", "backspace", "delete", "insert"})  # fmt: skip
FUNCTION_KEY = re.compile(r"f\d{1,2}")
MEANING = {
    "ctrl+z": "suspend",
    "ctrl+backslash": "quit signal",
    "ctrl+c": "copy or interrupt",
    "ctrl+s": "save or stop output",
    "ctrl+x": "cut",
    "ctrl+v": "paste",
}


def is_blocked_key(key: str) -> bool:
    """True when `key` (a Textual key name) asks for something the clean room refuses
    (the caller has checked that nothing on screen binds it)."""
    base = key.rsplit("+", 1)[-1]
    if key.startswith(MODIFIERS):
        return base not in NAVIGATION
    return FUNCTION_KEY.fullmatch(key) is not None


@dataclass
class _Burst:
    key: str
    started: float
    last: float
    repeats: int = 0  # presses after the first, not yet recorded


class BlockedKeys:
    """Turns blocked key presses into `blocked` events by the coalescing rule."""

    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._burst: _Burst | None = None

    def press(self, key: str, now: float) -> list[Blocked]:
        """Events to record for one press of `key` at `now` (monotonic seconds)."""
        burst = self._burst
        if burst is not None and burst.key == key and now - burst.last <= self.window_s:
            burst.repeats += 1
            burst.last = now
            return []
        out = self.flush(now, force=True)
        self._burst = _Burst(key, now, now)
        return [*out, Blocked("key", describe(key))]

    def flush(self, now: float, force: bool = False) -> list[Blocked]:
        """The closing entry of a burst that has ended (or any, with `force`)."""
        burst = self._burst
        if burst is None or not (force or now - burst.last > self.window_s):
            return []
        self._burst = None
        if burst.repeats == 0:
            return []
        held = f"held: {burst.repeats} more presses in {burst.last - burst.started:.1f} s"
        return [Blocked("key", f"{describe(burst.key)}; {held}")]


def describe(key: str) -> str:
    meaning = MEANING.get(key)
    return f"{key} ({meaning})" if meaning else key
