"""Invisible characters and blank look-alikes in the check's normalisation (ADR 0410):
every one the Unicode database calls a format or control character, or default
ignorable, is dropped, in notes and source alike; the blanks become spaces; and a
name table counted under other rules is never read.

Whole checks over real snapshots with these characters on both sides are in
tests/test_notecheck_names.py (against the brute-force reference) and
tests/test_atk16_check.py (through the command)."""

from __future__ import annotations

import unicodedata

import pytest

from cleanroom.notecheck import names as names_module
from cleanroom.notecheck.normal import BLANKS, VERSION, normalise, plain, spliced, strip
from cleanroom.notecheck.pairs import PairFilter
from tests import notecheck_reference as reference

LATER_CF = range(0x13439, 0x13440)  # format characters since Unicode 15: dropped already


def invisible(ch: str) -> bool:
    """What ADR 0410 drops, from the Unicode database and the published property."""
    if ch.isspace() or ord(ch) in BLANKS:
        return False
    if unicodedata.category(ch) in ("Cf", "Cc") or ord(ch) in LATER_CF:
        return True
    return any(a <= ord(ch) <= b for a, b in reference.DEFAULT_IGNORABLE)


EVERY = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
INVISIBLE = [ch for ch in EVERY if invisible(ch)]


def test_every_invisible_character_is_dropped_inside_a_word():
    missed = [f"U+{ord(ch):04X}" for ch in INVISIBLE if normalise(f"ab{ch}cd") != "abcd"]
    assert missed == []
    assert len(INVISIBLE) > 4000  # tags, variation selectors: the lot
    assert strip("a" + "".join(INVISIBLE) + "b") == "ab"


def test_nothing_else_is_dropped():
    """Only those: every other character (visible, space or blank) is kept."""
    dropped = set(INVISIBLE)
    others = "".join(ch for ch in EVERY if ch not in dropped and ord(ch) not in BLANKS)
    assert strip(others) == others


@pytest.mark.parametrize("blank", [chr(c) for c in BLANKS])
def test_a_blank_look_alike_is_a_space(blank):
    assert normalise(f"int{blank}foo{blank}{blank}= 1;") == "int foo = 1;"
    assert strip(f"a{blank}b") == "a b"


@pytest.mark.parametrize(
    "text, normal",
    [
        ("", ""),
        ("\u200b", ""),
        ("x", "x"),
        ("\u200b \u200b\n\ufeff", ""),
        ("\ufeff#include <a.h>", "#include <a.h>"),
        ("a\u200b b", "a b"),
        ("a\x00\x01b\x7f", "ab"),
        ("a\udce9b", "a\udce9b"),  # a byte that is not UTF-8 (surrogateescape) stays
        ("e\u0301", "e\u0301"),  # a combining accent is visible: kept
    ],
)
def test_boring_and_edge_texts(text, normal):
    assert normalise(text) == normal == reference.normalise(text)


def test_strip_keeps_the_lines():
    text = "a\u200bb\nc\u00add\n\u2060\n"
    assert strip(text).split("\n") == ["ab", "cd", "", ""]


def test_spliced_is_a_drop_between_two_visible_characters():
    assert spliced("hid\u200bden") and spliced("a\x01\x02b") and spliced("x\u00ad\u2060y")
    assert not spliced("\ufeffstart") and not spliced("a \u200bb") and not spliced("a\u200b\n")
    assert not spliced("a\u3164b")  # a blank: a space, which splits as the raw text does
    assert plain(b"int x;\n\t\x0b\x0c\x1c") and not plain(b"a\x00") and not plain(b"a\x7f")
    assert not plain("é".encode())


def test_a_table_counted_under_other_rules_is_never_read(tmp_path, monkeypatch):
    """The cache's format names the normalisation: one written under version 1 (v6,
    whitespace only) passes its MAC under that format but is not read now."""
    assert names_module.FORMAT.endswith(b":normal%d" % VERSION)
    root = b"\x01" * 32
    pairs = PairFilter(bytes(1 << 13))

    def fill(conn):
        conn.execute("INSERT INTO names VALUES (?, 1, 1, ?)", (b"frob_ring", b"\x01\x00\x00\x00"))

    monkeypatch.setattr(names_module, "FORMAT", b"cleanroom:notecheck-names:v6")
    assert names_module.write_cache(tmp_path, root, fill, pairs)
    assert names_module.open_cached(tmp_path, root) is not None  # its own rules: read
    monkeypatch.undo()
    assert names_module.open_cached(tmp_path, root) is None
