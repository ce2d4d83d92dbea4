"""docs/guide-reviewer.md documents every key (issue 15, "Done when"): each key the
help screen lists (tui/actions.py: the action registry and the keys widgets handle)
is named, as typed, in the guide's Keys section. The help screen is generated from
the registry; this keeps the guide from drifting behind it."""

import re
from pathlib import Path

import pytest

from cleanroom.tui.actions import NAVIGATION, REVIEW_ACTIONS
from cleanroom.tui.screens.help import typed

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide-reviewer.md"
# Named keys the guide may write as words (its table says "arrows, PgUp/PgDn, Home/End").
WORDS = {"arrows": "arrows", "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End"}


def keys_section() -> str:
    text = GUIDE.read_text()
    start = text.index("\n## Keys\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def help_keys() -> list[str]:
    keys = [k for a in REVIEW_ACTIONS for k in typed(a.keys).split(" / ")]
    keys += [k.strip() for shown, _ in NAVIGATION for k in shown.split(" / ")]
    return sorted(set(keys))


def named(section: str, key: str) -> bool:
    if key in WORDS:
        return re.search(rf"\b{re.escape(WORDS[key])}\b", section) is not None
    quoted = re.findall(r"`([^`]+)`", section)
    return any(key == q or key in re.split(r"\s+(?:or|then|/)\s+|\s+", q) for q in quoted)


def test_the_help_lists_keys_to_check():
    keys = help_keys()
    assert "ctrl+p" in keys and "j" in keys and "?" in keys and len(keys) > 30


@pytest.mark.parametrize("key", help_keys())
def test_every_key_in_help_is_in_the_reviewer_guide(key):
    assert named(keys_section(), key), f"{key!r} is in help but not in the guide's Keys section"
