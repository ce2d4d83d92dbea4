"""The display of a name is one-to-one: two different names never display alike.

The sanitizer's tags are text too, so a name that spells a tag (`cafe⟨U+0301⟩.c`)
would look exactly like the name the tag stands for (the NFD `café.c`) unless
the tag brackets are themselves tagged. `undo` reads a display back to the one
text it came from; if it can, no two texts share a display."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.sanitize import _NAMED, clean, decode, sanitize

_BY_NAME = {name: chr(cp) for cp, (name, _) in _NAMED.items()}
_TAG = re.compile(r"⟨([^⟨⟩]*)⟩")


def _undo_tag(tag: str) -> str:
    if tag in _BY_NAME:
        return _BY_NAME[tag]
    if m := re.fullmatch(r"x([0-9A-F]{2})", tag):
        n = int(m.group(1), 16)
        return chr(0xDC00 + n) if n >= 0x80 else chr(n)  # a byte not UTF-8, or C0/DEL
    if m := re.fullmatch(r"(?:U\+|VS|TAG)([0-9A-F]{4,6})", tag):
        return chr(int(m.group(1), 16))
    raise AssertionError(f"unknown tag {tag!r}")


def undo(display: str) -> str:
    """The one text that `display` shows; fails on a bracket outside a tag."""
    parts = _TAG.split(display)
    for k in range(0, len(parts), 2):
        assert "⟨" not in parts[k] and "⟩" not in parts[k], display
    return "".join(p if k % 2 == 0 else _undo_tag(p) for k, p in enumerate(parts))


TWINS = [
    ("cafe\u0301.c", "cafe⟨U+0301⟩.c"),  # NFD vs a literal tag
    (decode(b"evil\x1b.c"), "evil⟨x1B⟩.c"),
    (decode(b"bad\xffname"), "bad⟨xFF⟩name"),
    (decode(b"c1\xc2\x80.c"), decode(b"c1\x80.c")),  # U+0080 vs the byte 0x80
    ("src\u2215main.c", "src/main.c"),  # DIVISION SLASH
    ("src\u2044main.c", "src/main.c"),  # FRACTION SLASH
    ("main\u2024c", "main.c"),  # ONE DOT LEADER
    ("\ufb01le.c", "file.c"),  # ligature
    ("\uff21.c", "A.c"),  # fullwidth
    ("\u0430\u0440\u0435", "ape"),  # a whole word in Cyrillic, no Latin beside it
    ("\u0430.c", "a.c"),  # one Cyrillic letter
]


@pytest.mark.parametrize(("a", "b"), TWINS, ids=[repr(a) for a, _ in TWINS])
def test_twins_never_display_alike(a, b):
    assert clean(a) != a  # the hostile twin is tagged: it looks unlike the other
    assert clean(a) != clean(b)
    assert sanitize(a).text == clean(a)  # one sanitizer, one rendering
    assert undo(clean(a)) == a and undo(clean(b)) == b


def test_literal_tag_brackets_are_tagged_in_source_lines_too():
    line = sanitize("x = '⟨RLO⟩'  # not a tag", tab_size=4).text
    assert line == "x = '⟨U+27E8⟩RLO⟨U+27E9⟩'  # not a tag"
    assert undo(line) == "x = '⟨RLO⟩'  # not a tag"


@pytest.mark.parametrize("name", ["привет.c", "Ελληνικά.txt", "日本語.md", "café.c", "naïve_ü.py"])
def test_ordinary_names_stay_readable(name):
    assert clean(name) == name


_ALPHABET = st.sampled_from(
    list("aAe.c/ U+x0123456789ABCDEF⟨⟩") + ["\u0301", "\x1b", "\x80", "\udcff", "\udc80", "\u202e",
    "\u0430", "\u2215", "\ufb01", "\u200b", "\ufe0f", "\U000e0041", "\u3164", "é", "\t", "\n"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=24))
def test_every_name_display_reads_back_to_its_one_text(text):
    assert undo(clean(text)) == text
    assert undo(sanitize(text).text) == text


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=12), st.text(_ALPHABET, max_size=12))
def test_two_different_names_never_display_alike(a, b):
    assert (clean(a) == clean(b)) == (a == b)


@pytest.mark.parametrize(
    ("path", "stored"),
    [  # what `clean` gave before this change (computed with it), as snapshots hold it
        ("a⟨b\x85\x80∕аре.c".encode(), "a⟨b⟨NEL⟩⟨x80⟩∕⟨U+0430⟩⟨U+0440⟩⟨U+0435⟩.c"),
        ("cafe\u0301⟩/ﬁle\x1b.c".encode(), "cafe⟨U+0301⟩⟩/ﬁle⟨x1B⟩.c"),
        (b"x\xff\xc2\x9b\xe2\x9f\xa9", "x⟨xFF⟩⟨x9B⟩⟩"),
        ("аре".encode(), "аре"),
    ],
)
def test_a_snapshot_made_before_still_has_a_sanitized_display(path, stored):
    """The unsigned `display` column of a snapshot signed yesterday stays accepted."""
    from cleanroom.snapshot.walk import display_before_0307, display_path

    assert display_before_0307(path) == stored
    assert display_path(path) != stored  # today's display is the one-to-one form
