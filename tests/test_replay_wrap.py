"""Replay paints a wrapped screen (ADR 0212) as the reviewer's terminal drew it:
the same rows, the same gutter (`↪` on a line's later rows), from the `view`
entry's `wrap` and the snapshot; in the app and in the asciicast export; and
the forensics outputs read the entry (describe, bounds)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from cleanroom.forensics.describe import describe
from cleanroom.forensics.fits import misfit
from cleanroom.forensics.replay import Replay
from cleanroom.forensics.timeline import read_timeline, typed_event
from cleanroom.tui import highlight
from cleanroom.tui.replay.app import ReplayApp
from cleanroom.tui.replay.cast import frame_size, render_frame
from cleanroom.tui.replay.view import ReplayView
from tests.ledgerkit import Kit
from tests.replaykit import record
from tests.wrapkit import wide_source

SIZE = (120, 36)
STEPS = [
    ("ctrl+p", *"wide.c", "enter"),
    ("w",),
    ("down",),
    ("down",),
    ("down",),
    ("down",),  # the hostile line at the top
    ("pagedown",),
    ("end",),  # the last line: no trailing newline
    ("home",),
    ("w",),  # cut again
    ("right",),
]


@pytest.fixture(scope="module")
def roomy_budget():
    """A lexing budget no machine load can exhaust, for this module's recording and
    replays: these tests compare colours, and a window shown plain because the
    machine was busy (a wall-clock budget, tests/test_tui_lexing_budget.py) would
    make the reviewer's terminal and the replay differ for a reason that is not
    wrapping."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(highlight, "LEX_BUDGET", 30.0)
        yield


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, roomy_budget):
    kit = Kit()
    work = tmp_path_factory.mktemp("replay-wrap")
    source = wide_source(kit, work)
    return asyncio.run(record(kit, work, STEPS, source, "wide.snapshot", SIZE))


def replay_of(kit, recorded):
    return Replay(read_timeline(recorded.ledger, kit.trust), recorded.source)


def wrapped_views(replay):
    return [s for s in replay.steps if s.entry.kind == "view" and s.entry.payload.get("wrap")]


async def test_each_wrapped_screen_is_painted_as_the_reviewer_saw_it(kit, recorded):
    replay = replay_of(kit, recorded)
    assert replay.timeline.status.value == "INTACT"
    assert len(wrapped_views(replay)) >= 5
    app = ReplayApp(replay, "replay")
    compared = wrapped = 0
    async with app.run_test(size=SIZE) as pilot:
        for entries, shown in recorded.shown.items():
            app.show(replay.index_of_seq(entries - 1))
            await pilot.pause()
            view = app.query_one(ReplayView)
            assert view.display
            drawn = ["".join(s.text for s in view.render_line(y)) for y in range(view.size.height)]
            assert [d.rstrip() for d in drawn] == [s.rstrip() for s in shown[: len(drawn)]]
            assert all(not line.strip() for line in shown[len(drawn) :])
            compared += 1
            wrapped += view.viewport is not None and view.viewport.wrap > 0
    assert compared >= 8 and wrapped >= 5
    assert any("↪" in line for s in recorded.shown.values() for line in s)


async def test_each_wrapped_row_is_coloured_as_the_reviewer_saw_it(kit, recorded, roomy_budget):
    """The replay colours a wrapped screen's rows as the reviewer's terminal did:
    every character of every row (gutter aside) in the same style, so a comment's
    or a string's later rows are coloured as its first."""
    replay = replay_of(kit, recorded)
    app = ReplayApp(replay, "replay")
    compared = coloured = 0
    async with app.run_test(size=SIZE) as pilot:
        for entries, styles in recorded.styles.items():
            app.show(replay.index_of_seq(entries - 1))
            await pilot.pause()
            view = app.query_one(ReplayView)
            if view.viewport is None or not view.viewport.wrap:
                continue
            gutter = view._painter.gutter_width
            for y in range(view.viewport.wrap):
                strip = view.render_line(y)
                text = "".join(s.text for s in strip)
                drawn = [s.style for s in strip for _ in s.text][gutter : len(text.rstrip())]
                assert drawn == styles[y][gutter : len(text.rstrip())], (entries, y)
                coloured += text.startswith(f"{'↪':>{gutter - 2}}") and any(
                    s is not None and s.color is not None for s in drawn
                )
            compared += 1
    assert compared >= 5 and coloured >= 5  # later rows, coloured


def test_the_cast_draws_the_same_wrapped_rows(kit, recorded):
    from rich.console import Console
    from textual.cache import LRUCache

    from tests.test_replay import ANSI

    replay = replay_of(kit, recorded)
    width, height = frame_size(replay)
    console = Console(width=width, color_system="truecolor", force_terminal=True)
    step = wrapped_views(replay)[0]
    at = replay.index_of_seq(step.entry.seq)
    frame = render_frame(replay, at, width, height, console, LRUCache(4))
    body = [ANSI.sub("", line).rstrip() for line in frame[2:]]
    shown = next(s for n, s in recorded.shown.items() if n - 1 == step.entry.seq)
    assert body[: step.entry.payload["wrap"]] == [s.rstrip() for s in shown]


def test_describe_and_bounds_of_a_wrapped_view():
    blob = "a" * 64
    good = {"path": "w/wide.c", "blob": blob, "first": 1, "last": 3, "col": 0, "cols": 40,
            "wrap": 20}  # fmt: skip
    event, why = typed_event("view", good)
    assert why is None and event.wrap == 20
    assert "wrapped at 40 columns in 20 rows" in describe_view(event)
    old = {k: v for k, v in good.items() if k != "wrap"}  # a ledger from before wrapping
    event, why = typed_event("view", old)
    assert why is None and event.wrap == 0 and "wrap" not in event.payload()
    bads = [{"wrap": -1}, {"wrap": 20, "col": 5}, {"wrap": 2, "last": 3}, {"wrap": 100_000},
            {"wrap": 1000, "cols": 10_000}, {"wrap": 20, "cols": 0}]  # fmt: skip
    for bad in bads:
        assert misfit("view", {**good, **bad}) is not None, bad
    assert misfit("view", good) is None


def describe_view(event):
    """What `describe` says of a timeline entry holding `event` (only these fields)."""
    entry = SimpleNamespace(kind="view", payload=event.payload(), problem=None, event=event)
    return describe(entry)  # type: ignore[arg-type]
