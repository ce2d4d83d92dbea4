"""Notices have a line of their own (the title line): an alert or a refusal never
covers source or the witness code, and the witness code is whole at 80x24."""

from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.noticebar import NoticeBar
from cleanroom.tui.refusal_words import refusal
from cleanroom.tui.statusbar import StatusBar
from tests.recorderproc import until
from tests.tuikit import make_app, sample_source

SMALL = (80, 24)


def line(widget) -> str:
    return widget.render_line(0).text


async def start(pilot):
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


def long_named_app(kit, ledger_dir):
    ledger = kit.new_ledger(ledger_dir)
    facts = Facts("R" * 300, "O" * 200, "ws-01", "sample 1.0", str(ledger.path))
    session = ReviewSession(Recorder(ledger), sample_source(kit, ledger_dir.parent), facts)
    return ReviewApp(session, countersigner=kit.reviewer)


async def test_the_witness_code_is_whole_at_80x24_whatever_the_names(kit, ledger_dir):
    app = long_named_app(kit, ledger_dir)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        for _ in range(3):  # alerts and entries grow the line
            app.copy_to_clipboard("x")
            await pilot.pause()
        seq, code = app.service.shown_witness
        bar = app.query_one(StatusBar)
        assert bar.size.width == 80
        assert f"witness {seq}:{code}" in line(bar)


async def test_a_refusal_is_named_in_words_on_the_notice_line_not_over_the_code(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        code = app.query_one(CodeView)
        before = [code.render_line(y).text for y in range(code.size.height)]
        app.copy_to_clipboard("secret")
        await pilot.pause()
        notice = app.query_one(NoticeBar)
        assert "Copying is not allowed here" in line(notice)
        assert "copy_text" not in line(notice) and "copy" not in line(notice).split()
        assert not list(app.screen.query("Toast"))  # no toast drawn over anything
        assert [code.render_line(y).text for y in range(code.size.height)] == before
        seq, code_ = app.service.shown_witness
        assert f"witness {seq}:{code_}" in line(app.query_one(StatusBar))
        notice.restore()  # the title comes back when the notice's time is up
        await pilot.pause()
        assert "Cleanroom" in line(notice) and "Copying" not in line(notice)


async def test_the_notice_expires_by_itself(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        # Long enough to be seen after a pause on a loaded machine (0.2 s was not,
        # once, at load 10); then it must go by itself, with no key pressed.
        app.notify("No more flagged lines below.", timeout=1.0)
        await pilot.pause()
        assert "No more flagged" in line(app.query_one(NoticeBar))
        await until(pilot, lambda: "No more flagged" not in line(app.query_one(NoticeBar)))


def test_refusals_are_words_and_unknown_names_are_sanitized():
    assert refusal("copy_text") == "Copying is not allowed here"
    assert refusal("screenshot") == "Taking screenshots is not allowed here"
    hostile = refusal("x\x1b[2J\u202ey")
    assert "\x1b" not in hostile and "\u202e" not in hostile
    assert refusal("") == "That action () is not allowed here"


async def test_when_recording_fails_the_reason_does_not_push_out_the_witness(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        seq, code = app.service.shown_witness
        disk.full = True
        await pilot.press("pagedown")  # a view that cannot be recorded
        await pilot.pause()
        text = line(app.query_one(StatusBar))
        assert app.service.failure is not None and "NOT RECORDING" in text
        assert f"witness {seq}:{code}" in text


def drawn(code) -> str:
    from textual.geometry import Region

    strips = code.render_lines(Region(0, 0, code.size.width, code.size.height))
    return " ".join(strip.text.strip() for strip in strips)


async def test_the_code_views_own_message_is_whole_at_80x24(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        code = app.query_one(CodeView)
        assert code.size.width < 50  # the tree takes the rest
        said = drawn(code)
        assert "No file open. ctrl+p or the tree opens one." in " ".join(said.split()), said
        code.refuse("the file is not the one the vendor signed: " + "x" * 60)
        await pilot.pause()
        said = "".join(drawn(code).split())
        assert said.endswith("x" * 60), said  # every word of a long reason, wrapped


async def test_at_80x24_an_alert_and_a_find_hit_leave_the_code_and_the_count_whole(kit, ledger_dir):
    """Issue 15: "hit k of N" was cut at 80 columns whenever an alert showed (the
    bar's words took ~70 cells). The words around the parts read whole shorten
    instead; the witness code, the alerts and the hit count stay whole, and a wide
    terminal keeps every word. A real guard (demo policy: alerts recorded, no lock)."""
    import subprocess
    import sys

    from tests.test_tui_find import find, lines_with
    from tests.test_tui_guard import guarded_app, wait_for

    app, snapshot, _ = guarded_app(kit, ledger_dir, mode="demo")
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        subprocess.run([sys.executable, "-c", f"open({str(snapshot)!r}, 'rb').read(1)"],
                       check=True, timeout=30)  # fmt: skip
        assert await wait_for(pilot, lambda: app.session.alerts > 0)
        await pilot.press("ctrl+p", *"long.py", "enter")
        await pilot.pause()
        await find(pilot, "# line 7")
        bar = app.query_one(StatusBar)
        text = line(bar)
        seq, code = app.service.shown_witness
        hits = len(lines_with(b"# line 7"))
        assert f"ALERTS {app.session.alerts}" in text and "REC" in text
        assert f"{seq}:{code}" in text and f"find hit 1 of {hits:,}" in text, text
        await pilot.resize_terminal(160, 24)
        await pilot.pause()
        wide = line(bar)
        assert "RECORDING" in wide and f"witness {seq}:{code}" in wide
        assert f"find hit 1 of {hits:,}" in wide
        app.session.guard.stop()
