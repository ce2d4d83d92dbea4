"""Replay for responders: the event list uses the width it has, help lists only
replay's keys as typed, the banner's hint names a replay key, an existing --cast
file is kept unless --force, and the event list filters by file."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from cleanroom.tui.replay.app import ReplayApp
from cleanroom.tui.replay.events import EventList
from cleanroom.tui.screens.help import HelpScreen, help_table
from tests.ledgerkit import Kit
from tests.replaykit import record
from tests.test_replay import STEPS, replay_of, run_replay


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return asyncio.run(record(Kit(), tmp_path_factory.mktemp("replay-resp"), STEPS))


def _lines(widget) -> list[str]:
    return ["".join(s.text for s in widget.render_line(y)) for y in range(widget.size.height)]


@pytest.mark.parametrize("cols", [100, 200])
async def test_the_event_list_uses_the_width_it_has(kit, recorded, cols):
    app = ReplayApp(replay_of(kit, recorded), "replay")
    async with app.run_test(size=(cols, 36)) as pilot:
        await pilot.pause()
        events = app.query_one(EventList)
        width = events.size.width
        assert width >= 35 and width >= cols // 3 - 2
        assert app.query_one("#viewer").size.width >= 60
        text = _lines(events)
        longest = max(len(x.rstrip()) for x in text)
        assert longest >= width - 2  # the lines fill it, they are not cut at 36
        if cols == 200:
            assert any("T" in x and x.split()[1].count("-") == 2 for x in text)  # with the date


async def test_help_lists_only_replays_keys_as_typed(kit, recorded):
    app = ReplayApp(replay_of(kit, recorded), "replay")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(help_table(app.screen.actions, app.screen.navigation))
        text = console.export_text()
        for typed in ("→ / n", "← / p", "? / F1", "+ / =", "t / :", "space", "f"):
            assert typed in text, typed
        for word in ("question_mark", "equals_sign", "colon", "Open the selected file",
                     "Next / previous pane"):  # fmt: skip
            assert word not in text, word


async def test_the_banner_hint_names_a_replay_key(kit, recorded):
    replay = replay_of(kit, recorded)
    app = ReplayApp(replay, "replay")
    flagged = next(i for i, s in enumerate(replay.steps) if s.screen.viewport
                   and s.screen.viewport.path == b"src/main.c")  # fmt: skip
    async with app.run_test(size=(120, 36)) as pilot:
        app.show(flagged)
        await pilot.pause()
        banner = str(app.query_one("#banner").render())
        assert "⟨tags⟩" in banner and "f: only this file's events" in banner
        assert "next flagged line" not in banner  # the reviewer's key, not replay's
        await pilot.press("f")
        await pilot.pause()
        assert app.only == b"src/main.c"


async def test_the_event_list_filters_by_file(kit, recorded):
    replay = replay_of(kit, recorded)
    app = ReplayApp(replay, "replay")
    mine = [i for i, s in enumerate(replay.steps)
            if getattr(s.entry.event, "raw_path", None) == b"src/long.py"]  # fmt: skip
    async with app.run_test(size=(160, 40)) as pilot:
        app.show(mine[2])
        await pilot.press("f")
        await pilot.pause()
        events = app.query_one(EventList)
        assert events.rows == mine and len(mine) < len(replay)
        listed = [x for x in _lines(events) if x.strip()]
        assert len(listed) == min(len(mine), events.size.height)
        assert all("long.py" in x for x in listed)
        assert "only src/long.py" in str(app.query_one("#status").render())
        await pilot.press("right")
        assert app.index == mine[3]
        await pilot.press("end", "left")  # end: the last step; left: the last of the file
        assert app.index == mine[-1]
        await pilot.press("f")  # again: every event
        await pilot.pause()
        assert events.rows is None and app.only is None
        await pilot.press("home")
        app.show(0)  # session_start: no file on screen
        await pilot.press("f")
        await pilot.pause()
        assert app.only is None


def test_an_existing_cast_is_kept_unless_force(recorded, tmp_path):
    out = tmp_path / "session.cast"
    out.write_text("keep me\n")
    args = (recorded.ledger, "--snapshot", recorded.snapshot, "--cast", out)
    refused = run_replay(recorded, tmp_path, *args)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert out.read_text() == "keep me\n"
    link = tmp_path / "link.cast"
    link.symlink_to(tmp_path / "nowhere")  # a dangling link is there too
    assert run_replay(recorded, tmp_path, recorded.ledger, "--snapshot", recorded.snapshot,
                      "--cast", link).returncode == 2  # fmt: skip
    done = run_replay(recorded, tmp_path, *args, "--force")
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith('{"version": 2')
