"""A dialog draws the screen below it tinted exactly as Textual's BackgroundScreen
does (screens/tint.py caches each style's tint): the same segments for every kind
of style, and the same screen under a real quick-open box."""

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._context import visible_screen_stack
from textual.color import Color
from textual.renderables.background_screen import BackgroundScreen
from textual.visual import RichVisual, Visual

from cleanroom.tui.screens.quickopen import QuickOpenScreen
from cleanroom.tui.screens.tint import TintedBackground, TintedLines, tinted_line
from tests.tuikit import make_app

STYLES = [
    None,
    Style(),
    Style(color="red"),
    Style(bgcolor="#102030"),
    Style(color="#ffffff", bgcolor="black", bold=True, italic=True),
    Style(color="default", bgcolor="default"),
    Style(color="color(200)", link="https://example.invalid"),
    Style.from_meta({"@click": "app.bell()"}) + Style(color="green"),
]
COLORS = [Color(0, 0, 0, 0.6), Color(18, 18, 18, 0.1), Color(255, 0, 0, 0), Color(1, 2, 3, 1.0)]


def test_each_kind_of_style_is_tinted_as_textual_tints_it():
    segments = [Segment("x", s) for s in STYLES] + [Segment("", None, [(1,)])]  # a control too
    for color in COLORS:
        for _ in range(2):  # the second time from the cache
            ours = list(TintedBackground.process_segments(segments, color))
            theirs = list(BackgroundScreen.process_segments(segments, color))
            assert [(s.text, s.control) for s in ours] == [(s.text, s.control) for s in theirs]
            assert [repr(s.style) for s in ours] == [repr(s.style) for s in theirs], color
            assert [s.style == t.style for s, t in zip(ours, theirs, strict=True)] == [True] * 9


def lines(renderable, width: int, height: int) -> list[list[Segment]]:
    console = Console(width=width, height=height, color_system="truecolor", legacy_windows=False)
    options = console.options.update_dimensions(width, height)
    return list(Segment.split_lines(console.render(renderable, options)))


async def test_the_screen_under_quick_open_is_drawn_as_textual_draws_it(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, QuickOpenScreen)
        visible_screen_stack.set(list(app._background_screens))  # as the compositor does
        screen = app.screen
        shown = screen.render()
        assert type(shown) is TintedLines and shown.color.a < 1
        textual = BackgroundScreen(shown.screen, shown.color)
        cached = TintedBackground(shown.screen, shown.color)
        assert lines(cached, 100, 30) == lines(textual, 100, 30)
        with app._context():  # the lines the dialog draws (Widget._render_content)
            for again in (False, True):  # the second time from the cache
                hits = tinted_line.cache_info().hits
                ours = drawn(screen, shown)
                theirs = drawn(screen, RichVisual(screen, textual))
                assert any("value_" in s.text for line in ours for s in line)  # the code, tinted
                assert ours == theirs
                assert not again or tinted_line.cache_info().hits >= hits + len(ours)
            app.query_one("#status").update("a new status line: what changed is drawn")
            await pilot.pause()
            visible_screen_stack.set(list(app._background_screens))  # render() pops it
            now = drawn(screen, screen.render())
            assert now == drawn(screen, RichVisual(screen, textual))
            assert any("a new status" in s.text for line in now for s in line)


def drawn(screen, visual) -> list:
    """The strips `screen` draws for `visual` (as `Widget._render_content` asks)."""
    width, height = screen.size
    return Visual.to_strips(screen, visual, width, height, screen.visual_style)
