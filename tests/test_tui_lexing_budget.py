"""A line made to make a lexer backtrack does not block the event loop (issue 12).

Pygments' Scala lexer backtracks exponentially on an unterminated string of
backslashes (pygments issue 3247): 36 of them take seconds, 60 take hours. The
viewer lexes on the UI thread, so without a budget the loop stops: timers do not
fire, guard alerts are not acted on and the idle lock never comes up. With the
budget (tui/lexbudget.py) the file is shown plain and the loop keeps running."""

import time

from cleanroom.tui.codeview import CodeView
from cleanroom.tui.highlight import LEX_BUDGET, lexer_for, render_lines
from cleanroom.tui.lexbudget import Overrun, within
from cleanroom.tui.screens.idle import IdleScreen
from tests import tuikit
from tests.tuikit import make_app

HOSTILE_LINE = b'  val s = "' + b"\\" * 36  # seconds of backtracking without a budget
NAME = b"src/Hostile.scala"
CONTENT = b"object Hostile {\n" + HOSTILE_LINE + b"\n}\n"


def shown(view: CodeView) -> str:
    return "\n".join(
        "".join(s.text for s in st) for st in view.render_lines(view.region.reset_offset)
    )


def test_a_backtracking_line_is_shown_plain_within_the_budget():
    overran = []
    lexer = lexer_for("x.scala")  # compiling its rules is not lexing
    start = time.monotonic()
    lines = render_lines([b'val s = "' + b"\\" * 60], lexer, lambda: overran.append(1))
    assert time.monotonic() - start < LEX_BUDGET + 0.5
    assert overran == [1]
    assert lines[0].text.plain == 'val s = "' + "\\" * 60
    assert lines[0].text.spans == []  # plain: no colours


def test_ordinary_code_is_still_coloured_and_not_cut_short():
    overran = []
    lines = render_lines([b"val s = 1", b'val t = "x"'], lexer_for("x.scala"), overran.append)
    assert overran == [] and lines[0].text.spans


def test_a_slow_but_linear_lexer_is_stopped_between_tokens():
    def slow():
        while True:
            time.sleep(0.01)
            yield ((), "x")

    start = time.monotonic()
    try:
        within(slow(), 0.1)
        raise AssertionError("no overrun")
    except Overrun:
        pass
    assert time.monotonic() - start < 1.0


async def test_the_event_loop_keeps_running_over_a_backtracking_file(kit, ledger_dir, monkeypatch):
    monkeypatch.setattr(tuikit, "FILES", {**tuikit.FILES, NAME: CONTENT})
    # The idle lock comes up when the test lowers idle_seconds, once the file is
    # shown: with 2 s from the start, a loaded machine locked the screen while the
    # keys that open the file were still being typed, and the file never opened.
    app, _ = make_app(kit, ledger_dir, idle_seconds=3600)
    ticks: list[float] = []  # the CPU time the process had used at each tick
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")  # the start screen
        app.set_interval(0.05, lambda: ticks.append(time.process_time()))
        await pilot.press("ctrl+p", *"Hostile.scala", "enter")
        view = app.query_one(CodeView)
        await drawn(pilot, view)  # opened, recorded, lexed under the budget, drawn
        assert view._painter is not None and not view._painter.colouring  # the budget stopped it
        # The CPU used between two ticks: what the loop did instead of ticking. A
        # loaded machine stretches the wall clock between ticks, not this.
        gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        assert max(gaps) < 3.0, f"the loop stopped for {max(gaps):.1f} s of CPU"  # 22 unbounded
        app.idle_seconds = 1  # idle since the last key: the lock is due at the next tick
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, IdleScreen):
                break
        assert isinstance(app.screen, IdleScreen), "the idle lock did not come up"
        app.idle_seconds = 3600  # and not again while the code is drawn again
        await pilot.press("x")  # lift the idle lock
        await drawn(pilot, view)  # the code is recorded again, then drawn


async def drawn(pilot, view: CodeView) -> None:
    """Wait until the hostile file is on screen, plain (slow at load 12)."""
    for _ in range(300):
        await pilot.pause(0.05)
        text = shown(view)
        if "val s = " in text:
            break
    assert "val s = " in text and "\\" * 36 in text, pilot.app.screen_stack  # shown, plain


def test_a_lexer_that_fails_shows_the_text_plain_not_a_crash():
    """A lexer compiled under the budget surfaced as pygments' "uncompilable regex"
    (ValueError) and crashed the terminal; any lexer fault now means plain text."""
    from pygments.lexer import Lexer

    from cleanroom.tui.highlight import render_lines

    class Broken(Lexer):
        def get_tokens(self, text, unfiltered=False):
            raise ValueError("uncompilable regex")

    lines = render_lines([b"int x = 1;", b"\x1b[2J"], Broken())
    assert [line.text.plain for line in lines] == ["int x = 1;", "⟨x1B⟩[2J"]


def test_lexer_for_hands_out_compiled_lexers():
    from cleanroom.tui.highlight import lexer_for

    lexer = lexer_for("a.js")
    assert hasattr(type(lexer), "_tokens")  # pygments' compiled tables


def test_an_overrun_in_a_weakref_callback_is_not_lost(monkeypatch):
    """The budget's signal runs its handler in whatever Python code is running; while
    lexing, that can be a weakref callback the garbage collector runs. An Overrun
    raised there is 'unraisable': Python reports it (PytestUnraisableExceptionWarning
    in CI) and drops it, and the lexing goes on. It must reach `within` instead."""
    import sys
    import weakref

    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    class Dropped:
        pass

    def tokens():
        yield ((), "a")
        gone = Dropped()
        weakref.finalize(gone, time.sleep, 0.3)  # runs from C when `gone` dies
        del gone  # the budget (0.1 s) runs out inside the callback's sleep
        for _ in range(3):
            yield ((), "b")  # fewer tokens than the clock check's stride

    start = time.monotonic()
    try:
        within(tokens(), 0.1)
        raise AssertionError("no overrun")
    except Overrun:
        pass
    assert unraisable == []
    assert time.monotonic() - start < 1.0
