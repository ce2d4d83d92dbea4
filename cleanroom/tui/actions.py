"""The one registry of actions: it feeds key bindings, the help screen and the
allowlist that `LockedApp.run_action` enforces. An action not named here does
not run, whichever way it is triggered (key, markup click, widget code).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from .reading_keys import HELP as READING_HELP


@dataclass(frozen=True)
class Action:
    name: str  # the action method is action_<name>
    keys: str  # comma-separated Textual key names
    description: str
    show: bool = True  # in the footer


REVIEW_ACTIONS: tuple[Action, ...] = (
    Action("quick_open", "ctrl+p", "Open file"),
    Action("search", "s", "Search"),
    # the footer fits 80 columns: these are in help (with no file open, / and ? search)
    Action("find_in_file", "slash,ctrl+f", "Find in the file, forward", show=False),
    Action("find_backward", "question_mark", "Find in the file, backward", show=False),
    Action("next_result", "n", "Next hit (search; a find: in its direction)", show=False),
    Action("previous_result", "N", "Previous hit (search; a find: against it)", show=False),
    Action("goto_line", "colon", "Go to line"),
    Action("paragraph_back", "left_curly_bracket", "Previous empty line (paragraph)", show=False),
    Action("paragraph_forward", "right_curly_bracket", "Next empty line (paragraph)", show=False),
    Action("outline", "o", "Outline of the file (symbols)", show=False),
    Action("go_to_definition", "d", "Go to definition (word at cursor, or typed)", show=False),
    Action("references", "r", "Find references (word at cursor, or typed)", show=False),
    Action("symbol_quick_open", "ctrl+t", "Go to a symbol by name", show=False),
    Action("back", "alt+left,ctrl+o", "Back", show=False),
    Action("forward", "alt+right", "Forward", show=False),
    Action("set_mark", "m", "Set a mark (then a letter)", show=False),
    Action("jump_to_mark", "apostrophe", "Marks: list, jump (then a letter)", show=False),
    Action("next_flag", "f", "Next flagged line"),
    Action("toggle_wrap", "w", "Wrap long lines / cut them", show=False),
    Action("toggle_tree", "t", "Hide / show the tree", show=False),
    Action("reveal_file", "R", "Show the open file in the tree", show=False),
    Action("narrow_tree", "less_than_sign", "Narrower tree", show=False),
    Action("widen_tree", "greater_than_sign", "Wider tree", show=False),
    Action("note_here", "a", "Note"),
    Action("note_file", "A", "Note on the whole file", show=False),
    Action("notes", "ctrl+n", "Notes"),
    Action("help", "h,f1", "Help"),
    Action("end_session", "q,ctrl+q", "End session"),
)

REPLAY_ACTIONS: tuple[Action, ...] = (
    Action("next_step", "right,n", "Next event"),
    Action("previous_step", "left,p", "Previous event"),
    Action("first_step", "home", "First", show=False),
    Action("last_step", "end", "Last", show=False),
    Action("toggle_play", "space", "Play / pause"),
    Action("faster", "plus,equals_sign", "Faster"),
    Action("slower", "minus", "Slower"),
    Action("jump", "t,colon", "Jump to time or #seq"),
    Action("next_search", "s", "Next search", show=False),
    Action("filter_file", "f", "Only this file's events / all", show=False),
    Action("help", "h,question_mark,f1", "Help"),
    Action("quit", "q,ctrl+q", "Quit"),
)

# Keys handled by widgets, listed on the help screen only.
NAVIGATION: tuple[tuple[str, str], ...] = (
    ("tab / shift+tab", "Next / previous pane"),
    ("arrows", "Move (tree, lists) or scroll (code)"),
    ("pageup / pagedown", "Scroll a page"),
    ("home / end", "Top / bottom of the file"),
    ("enter", "Open the selected file or result"),
    ("escape", "Close a dialog"),
    ("ctrl+s / escape", "Save / cancel a note (note editor)"),
    ("enter / e / w", "Go to / edit / withdraw a note (notes pane)"),
    *READING_HELP,
)

# Replay's keys handled by widgets, listed on its help screen only.
REPLAY_NAVIGATION: tuple[tuple[str, str], ...] = (
    ("click", "Show the event clicked in the list"),
    ("wheel", "Scroll the event list or the code"),
)

# Built-in widget actions the UI relies on (scrolling, tree and list navigation,
# typing in the search box). Copy, cut, paste, select-all, screenshot, suspend,
# open-url, simulate_key and command-palette actions are deliberately absent.
WIDGET_ACTIONS = frozenset(
    {
        "scroll_up", "scroll_down", "scroll_left", "scroll_right", "scroll_home", "scroll_end",
        "page_up", "page_down", "page_left", "page_right",
        "cursor_up", "cursor_down", "cursor_left", "cursor_right", "cursor_left_word",
        "cursor_right_word", "cursor_parent", "cursor_parent_next_sibling",
        "cursor_previous_sibling", "cursor_next_sibling", "select_cursor", "toggle_node",
        "first", "last", "select", "home", "end", "submit",
        "delete_left", "delete_right", "delete_left_word", "delete_right_word",
        "delete_left_all", "delete_right_all", "dismiss", "confirm", "cancel",
        "focus_next", "focus_previous", "toggle", "focus_list", "toggle_button",
        "cancel_search", "half_page_down", "half_page_up",
    }
)  # fmt: skip

# The note editor and the notes pane (tui/notes_*.py): their own actions, the text
# area's cursor and editing actions, and the radio sets'. Not copy, cut or paste.
NOTE_ACTIONS = frozenset(
    {
        "save_note", "cancel_note", "edit_note", "withdraw_note",
        "cursor_word_left", "cursor_word_right", "cursor_line_start", "cursor_line_end",
        "cursor_page_up", "cursor_page_down",
        "delete_word_left", "delete_word_right", "delete_to_start_of_line",
        "delete_to_end_of_line_or_delete_line", "delete_line", "undo", "redo",
        "next_button", "previous_button",
    }
)  # fmt: skip

# Following code's lists (tui/screens/symbols.py): another page of an outline.
LIST_ACTIONS = frozenset({"list_page"})

ALLOWED = frozenset(a.name for a in REVIEW_ACTIONS) | WIDGET_ACTIONS | NOTE_ACTIONS | LIST_ACTIONS
REPLAY_ALLOWED = frozenset(a.name for a in REPLAY_ACTIONS) | WIDGET_ACTIONS


def bindings(actions: tuple[Action, ...] = REVIEW_ACTIONS) -> list[Binding]:
    return [Binding(a.keys, a.name, a.description, show=a.show) for a in actions]
