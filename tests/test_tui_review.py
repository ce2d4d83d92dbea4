"""The reviewer app driven by Pilot; every assertion is on the ledger it wrote."""

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.witness import SealedScreen, StartScreen
from tests.ledgerkit import read_rows
from tests.tuikit import listed, make_app

SIZE = (100, 30)


def entries(app):
    return [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]


def kinds(app):
    return [e.kind for e in entries(app)]


async def start(pilot):
    await pilot.pause()
    assert isinstance(pilot.app.screen, StartScreen)
    await pilot.press("enter")
    await listed(pilot)


async def test_start_screen_shows_the_witness_code_of_session_start(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        seq, code = app.session.shown_witness  # taken when the session started
        assert seq == 0
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert f"0:{code}" in text


async def test_every_painted_viewport_is_committed_before_the_paint(kit, ledger_dir, monkeypatch):
    app, _ = make_app(kit, ledger_dir)
    checked: dict[object, bool] = {}
    real = CodeView.render_line

    def audited(self, y):
        vp = self.viewport()
        if vp not in checked:  # read the ledger from disk, as an auditor would
            views = [e for e in entries(app) if e.kind in ("view", "file_open")]
            last = views[-1].payload if views else {}
            checked[vp] = (last.get("first"), last.get("last"), last.get("col")) == (
                vp.first, vp.last, vp.col,
            )  # fmt: skip
        return real(self, y)

    monkeypatch.setattr(CodeView, "render_line", audited)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        for key in ["pagedown", "down", "down", "pagedown", "end", "home", "right", "pageup"]:
            await pilot.press(key)
            await pilot.pause()
    assert len(checked) >= 6
    assert all(checked.values()), checked


async def test_open_scroll_goto_quick_open_and_seal_are_recorded(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("ctrl+p", *"lon", "enter")
        await pilot.pause()
        await pilot.press("pagedown")
        await pilot.press("colon", *"4000", "enter")
        await pilot.pause()
        height = app.query_one(CodeView).scrollable_content_region.height  # inside scrollbars
        await pilot.press("q", "y")
        await pilot.pause()
        assert isinstance(app.screen, SealedScreen)
        await pilot.press("enter")
        await pilot.pause()
    every = entries(app)
    listed = [e.payload for e in every if e.kind == "quick_open_list"]
    assert [p["query"] for p in listed] == ["", "l", "lo", "lon"]
    assert listed[-1]["names"] == [{"path": "src/long.py"}, {"path": "bin/blob.bin"}]
    assert listed[-1]["matches"] == 2
    rows = [e for e in every if e.kind not in ("quick_open_list", "tree_list")]
    assert [e.kind for e in rows] == [
        "session_start", "quick_open", "file_open", "view", "view", "goto", "view", "session_end",
    ]  # fmt: skip
    assert rows[1].payload == {"query": "lon", "matches": 2}  # src/long.py, bin/blob.bin
    assert rows[2].payload["path"] == "src/long.py" and rows[2].payload["lines"] == 5000
    assert (rows[6].payload["first"], rows[6].payload["last"]) == (4000, 4000 + height - 1)
    verdict = verify_path(app.session.recorder.ledger.path, kit.trust)
    assert verdict.status == "INTACT" and verdict.summary["reviewer"]["countersigned"]
    assert app.receipt is not None and app.receipt.seq == len(every) - 1


async def test_declining_to_end_keeps_the_session_open(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("q", "n")
        await pilot.pause()
        assert app.is_running and "session_end" not in kinds(app)


async def test_hostile_file_is_flagged_and_shown_as_tags(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_path(b"src/main.c")
        await pilot.pause()
        view = app.query_one(CodeView)
        shown = "\n".join(
            "".join(s.text for s in strip) for strip in view.render_lines(view.region.reset_offset)
        )
        assert "⟨RLO⟩" in shown and "⟨LRI⟩" in shown and "⟨x1B⟩]52;c;" in shown
        assert "\x1b" not in shown and "\u202e" not in shown
        assert "bidi" in str(app.query_one("#banner").render())
        assert view.next_flag() == 2
    opened = next(e for e in entries(app) if e.kind == "file_open")
    assert opened.payload["flags"] == {"bidi": 4, "control": 3}


async def test_binary_file_opens_as_hex(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_path(b"bin/blob.bin")
        await pilot.pause()
        view = app.query_one(CodeView)
        first = "".join(s.text for s in view.render_line(0))
        assert "00000000  00 01 02 03" in first


async def test_recording_failure_hides_source_and_is_recorded_after(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        disk.full = True
        await pilot.press("pagedown")
        await pilot.pause()
        view = app.query_one(CodeView)
        shown = "\n".join(
            "".join(s.text for s in st) for st in view.render_lines(view.region.reset_offset)
        )
        assert "Source hidden" in shown and "value_" not in shown
        assert "NOT RECORDING" in str(app.query_one("#status").render())
        disk.full = False
        await pilot.pause(1.5)  # the 1 s retry tick
        await pilot.pause()
        assert app.session.failure is None
    got = kinds(app)
    assert got.count("recording_failed") == 1
    after = got[got.index("recording_failed") :]
    assert after[:2] == ["recording_failed", "view"]


async def test_idle_lock_blanks_the_screen_and_records_both_ends(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir, idle_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)  # not locked before the start screen is passed, however slow
        app.idle_seconds = 1
        app.open_path(b"src/long.py")
        for _ in range(300):  # the 1 s timer fires by itself, however slow the machine
            await pilot.pause(0.1)
            if isinstance(app.screen, IdleScreen):
                break
        assert isinstance(app.screen, IdleScreen)
        # No second lock while this one is lifted: on a loaded machine more than 1 s
        # passed between the "x" and the check below, and the timer locked again.
        app.idle_seconds = 3600
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, IdleScreen)
    got = kinds(app)
    assert "idle" in got and got.index("active") > got.index("idle")
    # The same lines come back on screen: that is recorded again, after `active`
    # (after the tree's names, also back in sight: tests/test_tui_names_shown.py).
    again = [k for k in got[got.index("active") + 1 :] if k != "tree_list"]
    assert again[0] == "view"


@pytest.mark.parametrize("key", ["ctrl+c", "super+c", "ctrl+s"])
async def test_copy_attempts_are_recorded_as_blocked(kit, ledger_dir, key):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        app.open_path(b"src/main.c")
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert app.clipboard == ""
    blocked = [e.payload for e in entries(app) if e.kind == "blocked"]
    if key == "ctrl+s":
        assert blocked == [{"action": "key", "detail": "ctrl+s (save or stop output)"}]
    else:
        assert blocked and blocked[0]["action"] in ("copy_text", "copy")


async def test_help_shows_every_key_inside_its_box(kit, ledger_dir):
    """Laid out, not just composed: an auto-sized box once drew every line at width 0."""
    from textual.widgets import Static

    from cleanroom.tui.actions import REVIEW_ACTIONS
    from cleanroom.tui.screens.help import HelpScreen

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one("VerticalScroll").content_region
        for static in app.screen.query(Static):  # the box scrolls when it is too tall
            assert static.size.width > 0 and static.size.height > 0
            x, width = static.region.x, static.region.width
            assert box.x <= x and x + width <= box.right, (box, static.region)
        table = app.screen.query(Static).first()
        lines = ["".join(s.text for s in strip) for strip in
                 table.render_lines(table.region.reset_offset)]  # fmt: skip
        for action in REVIEW_ACTIONS:
            assert any(action.description in line for line in lines), action
