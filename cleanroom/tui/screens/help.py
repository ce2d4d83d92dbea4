"""`h` or F1 (and `?` in replay): every key, generated from the action registry
so it cannot drift."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..actions import NAVIGATION, REVIEW_ACTIONS, Action
from .once import ClosesOnce

NO_WAY_OUT = "Nothing can be copied, saved or printed from this session."


# Textual's names of keys, as a person types them.
TYPED = {"question_mark": "?", "equals_sign": "=", "plus": "+", "minus": "-", "colon": ":",
         "slash": "/", "right": "→", "left": "←", "up": "↑", "down": "↓", "f1": "F1",
         "apostrophe": "'", "less_than_sign": "<", "greater_than_sign": ">",
         "alt+left": "alt+←", "alt+right": "alt+→", "left_curly_bracket": "{",
         "right_curly_bracket": "}"}  # fmt: skip


def typed(keys: str) -> str:
    """`h,f1` as `h / F1`: each key of a binding as it is typed."""
    return " / ".join(TYPED.get(k, k) for k in keys.split(","))


def help_table(
    actions: tuple[Action, ...] = REVIEW_ACTIONS,
    navigation: tuple[tuple[str, str], ...] = NAVIGATION,
) -> Table:
    table = Table(title="Keys", show_header=False, box=None, padding=(0, 2))
    for action in actions:
        table.add_row(typed(action.keys), action.description)
    for keys, description in navigation:
        table.add_row(keys, description)
    return table


class HelpScreen(ClosesOnce, ModalScreen[None]):
    SHOWS_RECORDED = False  # the key table only (failure_blank.py)
    BINDINGS = [Binding("escape,q,h,question_mark,f1", "dismiss", "Close")]
    DEFAULT_CSS = """
    /* The status bar and keys below stay in view (and the notice line above): the
       witness code is never covered, at 80x24 either, where the box scrolls. A margin,
       not the screen's padding, which would paint over them. */
    HelpScreen { align: center top; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 85%; margin-top: 1;
        border: thick $primary; padding: 1 2;
    }
    HelpScreen Static { height: auto; }
    """

    def __init__(
        self,
        actions: tuple[Action, ...] = REVIEW_ACTIONS,
        note: str = NO_WAY_OUT,
        navigation: tuple[tuple[str, str], ...] = NAVIGATION,
    ) -> None:
        super().__init__()
        self.actions, self.note, self.navigation = actions, note, navigation

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_table(self.actions, self.navigation), markup=False)
            yield Static(self.note, markup=False)
