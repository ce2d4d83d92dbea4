"""Blocked keys are recorded: each distinct attempt once, a held key coalesced
(the rule in docs/events.md), in the app and in the coalescer itself."""

import pytest
from textual import events

from cleanroom.ledger.encoding import decode_body
from cleanroom.session.blocked_keys import WINDOW_S, BlockedKeys, is_blocked_key
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (100, 30)


def blocked(app) -> list[str]:
    bodies = (decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path))
    return [b.payload["detail"] for b in bodies if b.kind == "blocked"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [("ctrl+z", True), ("ctrl+backslash", True), ("ctrl+s", True), ("f5", True),
     ("f12", True), ("alt+x", True), ("meta+c", True), ("super+v", True),
     ("ctrl+left", False), ("alt+up", False), ("a", False), ("enter", False),
     ("pagedown", False), ("", False), ("f", False), ("shift+tab", False)],
)  # fmt: skip
def test_which_keys_are_blocked(key, expected):
    assert is_blocked_key(key) is expected


def test_a_held_key_costs_two_entries_and_distinct_attempts_one_each():
    keys = BlockedKeys()
    out = keys.press("ctrl+z", 0.0)
    for i in range(1, 200):  # held for ~6 s at 30 presses a second
        out += keys.press("ctrl+z", i * 0.03)
    assert [e.detail for e in out] == ["ctrl+z (suspend)"]
    assert keys.flush(6.0) == []  # the burst is not over yet
    (held,) = keys.flush(5.97 + WINDOW_S + 0.01)
    assert held.detail == "ctrl+z (suspend); held: 199 more presses in 6.0 s"
    # Another key ends a burst at once; a press after a pause is a new attempt.
    out = keys.press("ctrl+s", 10.0) + keys.press("ctrl+s", 10.1) + keys.press("f5", 10.2)
    out += keys.press("f5", 12.0)
    assert [e.detail for e in out] == [
        "ctrl+s (save or stop output)",
        "ctrl+s (save or stop output); held: 1 more presses in 0.1 s",
        "f5",
        "f5",
    ]
    assert keys.flush(100.0, force=True) == []


async def test_each_blocked_key_is_recorded_and_a_held_one_coalesced(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/main.c")
        await pilot.pause()
        for key in ("ctrl+z", "ctrl+backslash", "ctrl+s", "f5", "alt+x", "meta+c"):
            await pilot.press(key)
        # A held key: 300 presses as a burst, the way a terminal hands over its
        # auto-repeat, into the app's queue as Pilot's press puts each (which then
        # waits for the app to idle, ~40 ms a key: 12 s of this test).
        for _ in range(300):
            event = events.Key("ctrl+z", None)
            event.set_sender(app)
            app.post_message(event)
        await pilot.pause()
        assert app.return_code is None  # nothing suspended or quit the terminal
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    got = blocked(app)
    assert got[:6] == ["ctrl+z (suspend)", "ctrl+backslash (quit signal)",
                       "ctrl+s (save or stop output)", "f5", "alt+x", "meta+c"]  # fmt: skip
    assert got[6] == "ctrl+z (suspend)"
    assert got[7].startswith("ctrl+z (suspend); held: 299 more presses in ")  # flushed at seal
    assert len(got) == 8
