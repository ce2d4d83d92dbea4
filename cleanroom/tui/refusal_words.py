"""What a refused action is called in words, for the reviewer.

The ledger records the action's own name (`copy_text`, `screenshot`); the
reviewer reads what was asked for, such as "copying is not allowed here".
"""

from __future__ import annotations

from ..sanitize import clean

WORDS = {
    "copy": "copying",
    "copy_text": "copying",
    "copy_selection": "copying",
    "cut": "cutting",
    "cut_text": "cutting",
    "paste": "pasting",
    "paste_text": "pasting",
    "select_all": "selecting text",
    "text_select_all": "selecting text",
    "screenshot": "taking screenshots",
    "deliver": "saving files",
    "open_url": "opening links",
    "suspend": "suspending the terminal",
    "suspend_process": "suspending the terminal",
    "command_palette": "the command palette",
    "simulate_key": "simulated keys",
}


def refusal(action: str) -> str:
    """`copy_text` as "Copying is not allowed here"; an unknown action by its
    (sanitized) name, so that nothing refused is ever unexplained."""
    what = WORDS.get(action)
    if what is None:
        return f"That action ({clean(action)}) is not allowed here"
    return f"{what[0].upper()}{what[1:]} is not allowed here"
