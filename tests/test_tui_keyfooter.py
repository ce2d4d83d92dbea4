"""The footer (tui/keyfooter.py) shows the screen's keys as Textual's Footer does,
and is rebuilt only when they change: a screen pushed and popped, or a focus change,
with the same keys leaves its key widgets in place; a new key rebuilds it."""

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from cleanroom.tui.keyfooter import KeyFooter
from cleanroom.tui.screens.idle import IdleScreen
from tests.tuikit import make_app

SIZE = (100, 30)


def shown(app) -> list[tuple[str, str, bool]]:
    return [(k.key, k.description, k._disabled) for k in app.query(FooterKey)]


def bound(app) -> list[tuple[str, str, bool]]:
    """The keys Textual's Footer shows for the screen's bindings now: the first
    shown key of each action."""
    first: dict[str, tuple[str, str, bool]] = {}
    for _, b, enabled, _ in app.screen.active_bindings.values():
        if b.show:
            first.setdefault(b.action, (b.key, b.description, not enabled))
    return list(first.values())


async def test_the_footer_follows_the_bindings_and_is_kept_when_they_stay(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.query_one(Footer), KeyFooter)
        keys = list(app.query(FooterKey))
        assert ("q", "End session", False) in shown(app) and shown(app) == bound(app)
        app.push_screen(IdleScreen())
        await pilot.pause()
        app.pop_screen()
        app.query_one("#code").focus()
        await pilot.pause()
        await pilot.pause()
        assert list(app.query(FooterKey)) == keys  # the same widgets: not rebuilt
        app.bind("x", "show_help", description="Extra")
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert ("x", "Extra", False) in shown(app) and shown(app) == bound(app)
        assert not set(app.query(FooterKey)) & set(keys)  # rebuilt, as Textual does
