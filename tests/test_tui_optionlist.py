"""Page keys in a list not laid out yet (the random-key soak's KeyError: 0)."""

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets.option_list import Option

from cleanroom.tui.optionlist import SteadyOptionList


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Vertical(id="box")


async def test_page_keys_before_the_list_is_laid_out():
    app = ListApp()
    async with app.run_test(size=(40, 10)) as pilot:
        options = SteadyOptionList(*[Option(str(i)) for i in range(500)])
        await app.query_one("#box").mount(options)
        options.highlighted = 400
        options.styles.height = 0  # no room yet, as a dialog's list before its layout
        await pilot.pause()
        options.action_page_up()  # textual's own raised KeyError here
        options.action_page_down()
        assert options.highlighted == 400
        options.styles.height = 8
        await pilot.pause()
        options.action_page_up()  # laid out now: it pages
        assert options.highlighted is not None and options.highlighted < 400
