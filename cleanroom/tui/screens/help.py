"""`?`: every key, generated from the action registry so it cannot drift."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..actions import NAVIGATION, REVIEW_ACTIONS


def help_table() -> Table:
    table = Table(title="Keys", show_header=False, box=None, padding=(0, 2))
    for action in REVIEW_ACTIONS:
        table.add_row(action.keys.replace(",", " / "), action.description)
    for keys, description in NAVIGATION:
        table.add_row(keys, description)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: auto; height: auto; border: thick $primary; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(help_table(), markup=False)
            yield Static("Nothing can be copied, saved or printed from this session.", markup=False)
