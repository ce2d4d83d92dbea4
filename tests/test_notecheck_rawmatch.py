"""Confirming a window in a blob's raw bytes (ADR 0405): for an ASCII blob, the
pattern of `rawmatch.py` must say exactly what "the window is in the blob's
normalised text" says, or the check misses quotes (or invents them). Its edges:
a run across a line break, at the file's start and end, an empty or one-byte
file, control whitespace, invalid UTF-8 and Unicode spaces around the run (those
blobs are not ASCII, so they are decoded and normalised as before)."""

from __future__ import annotations

import re
from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.forensics.notes import WrittenNote
from cleanroom.ledger.verdict import Status
from cleanroom.notecheck.check import check_notes
from cleanroom.notecheck.corpus import SnapshotText, smallest
from cleanroom.notecheck.normal import normalise, plain
from cleanroom.notecheck.rare import whole_at
from cleanroom.notecheck.rawmatch import SPACE, raw_window
from cleanroom.snapshot.store import Snapshot
from tests import notecheck_reference as reference
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit
from tests.noteskit import note


def test_space_is_what_str_split_splits_on_in_ascii():
    assert set(SPACE) == {c for c in range(128) if chr(c).isspace()}
    assert all(len(("a" + chr(c) + "b").split()) == 2 for c in SPACE)


ASCII_PIECES = ["ab", "a", "b", "_x", "(", ");", "->", "0x1f", " ", "  ", "\n", "\t", "\r\n"]
ASCII_PIECES += ["\x0b", "\x0c", "\x1c", "\x1f", "\x00", "\x7f"]
ascii_texts = st.lists(st.sampled_from(ASCII_PIECES), max_size=40).map("".join)


def _in_normal(window: str, content: bytes) -> bool:
    return window in normalise(content.decode("utf-8", "surrogateescape"))


@settings(max_examples=400, deadline=None)
@given(ascii_texts, ascii_texts, st.data())
def test_the_raw_pattern_says_what_normalising_says(text, other, data):
    """Windows cut from the normalised text at any two characters (so the first and
    last words may be parts of words), and from another text, against ASCII blobs of
    every whitespace byte: the pattern and the normalised text always agree on a
    blob without the control bytes normalising drops (ADR 0410); one with them is
    never matched raw (`plain`), as the check reads it decoded and normalised, so
    they are taken out of the blob here."""
    content = text.encode()
    if not plain(content):  # the same text without them, which is plain
        assert "\x00" in text or "\x7f" in text
        text = text.replace("\x00", "").replace("\x7f", "")
        content = text.encode()
        assert plain(content)
    for source in (normalise(text), normalise(other)):
        if not source:
            continue
        a = data.draw(st.integers(0, len(source) - 1))
        b = data.draw(st.integers(a + 1, len(source)))
        window = source[a:b].strip(" ")
        if not window:
            continue
        assert raw_window(window).in_ascii(content) == _in_normal(window, content), (window, text)


@pytest.mark.parametrize("content", [b"", b"x", b" ", b"\n", b"ab", b"ab\n", b"\x1f"])
@pytest.mark.parametrize("window", ["x", "ab", "a b", "b", "ab ab"])
def test_boring_blobs(content, window):
    assert raw_window(window).in_ascii(content) == _in_normal(window, content)


def test_a_window_that_is_not_ascii_is_in_no_ascii_blob():
    assert not raw_window("caf\u00e9 au lait").ascii
    assert not raw_window("caf\udce9 au").in_ascii(b"caf\xe9 au")  # not ASCII: never asked so
    assert not raw_window("a\u00a0b").in_ascii(b"a\xc2\xa0b")


def test_a_hostile_blob_of_whitespace_costs_one_pass():
    """Possessive gaps: no backtracking through a long run of whitespace."""
    window = raw_window("a b c d e f g h")
    content = b"a" + b" \t" * 200_000 + b"b" + b" " * 200_000 + b"x"
    assert not window.in_ascii(content)
    assert window.in_ascii(b"za b\n\tc d\x0be\x1cf g\r\nhz")


# The check end to end on blobs at the edges of the raw path, ASCII or not.
EDGES = {
    b"lib/start.c": b"alpha_start beta gamma delta epsilon zeta eta theta iota kappa\nrest\n",
    b"lib/end.c": b"head\nomega_end psi chi phi upsilon tau sigma rho pi omicron",
    b"lib/wrap.c": b"x = wrap_one(first_arg,\n\t\tsecond_arg) +\r\n third_arg_here;\n",
    b"lib/ctrl.c": b"ctl_left\x1fctl_right\x0bctl_third\x0cctl_fourth\x1cctl_fifth ok\n",
    b"lib/empty.c": b"",
    b"lib/one.c": b"y",
    b"lib/bad.c": b"\xff\xfe bad_utf8_near the run of words here \xc3( more\n",
    b"lib/nbsp.c": "uni_space\u00a0joined words\u2028and\u0085more of it here\n".encode(),
    b"lib/del.c": b"del_near\x7f the words of a run with a del before it\n",
}
BODIES = [
    "See alpha_start beta gamma delta epsilon zeta eta theta iota kappa rest",
    "pha_start beta gamma delta epsilon zeta eta thet",  # parts of words at both ends
    "head omega_end psi chi phi upsilon tau sigma rho pi omicron",
    "omega_end psi chi phi upsilon tau sigma rho pi omicr",
    "x = wrap_one(first_arg, second_arg) + third_arg_here;",
    "ctl_left ctl_right ctl_third ctl_fourth ctl_fifth ok",
    "y",
    "",
    "\udcff\udcfe bad_utf8_near the run of words here \udcc3( more",
    "bad_utf8_near the run of words here \udcc3( mo",
    "bad_utf8_near the run of words here \u00c3( mo",  # valid UTF-8: not the snapshot's bytes
    "uni_space joined words and more of it here",
    "del_near\x7f the words of a run with a del before",
    "omega_end psi chi phi upsilon tau sigma rho pi omicron and on",  # past the file's end
]


def _notes() -> list[WrittenNote]:
    return [
        WrittenNote(note(i + 1, b), "", "", "", i + 1, None, None, Status.INTACT, False, 1)
        for i, b in enumerate(BODIES)
    ]


@pytest.fixture(scope="module")
def edges(tmp_path_factory) -> tuple[Kit, Path]:
    kit = Kit("ncrawmatch")
    return kit, make_snapshot(kit, tmp_path_factory.mktemp("edges"), files=EDGES)


@pytest.mark.parametrize("min_length", [40, 12])
@pytest.mark.parametrize("names", [True, False])
def test_the_check_agrees_with_the_reference_at_the_raw_edges(edges, min_length, names):
    kit, path = edges
    with Snapshot.open(path, kit.trust) as snap:
        files = reference.text_files(snap)
        want = [[(r, sorted(p)) for r, p in reference.runs(b, files, min_length)] for b in BODIES]
        corpus = SnapshotText(snap, names=names)
        try:
            got = [
                [(f.text, sorted((p.path, p.line) for p in f.places)) for f in c.fragments]
                for c in check_notes(_notes(), corpus, min_length)
            ]
        finally:
            corpus.close()
    assert got == want
    flagged = {i for i, fragments in enumerate(got) if fragments}
    assert {0, 1, 2, 3, 4, 5, 8, 9, 11, 12, 13} <= flagged  # not vacuous
    if min_length == 40:
        assert 10 not in flagged  # valid UTF-8 is not the invalid bytes
    assert corpus.scans > 0


def test_a_pattern_that_skipped_the_gaps_would_miss_quotes(edges, monkeypatch):
    """The agreement above can fail: a raw matcher that took the note's spaces
    literally misses the quote across a line break and tabs."""
    kit, path = edges

    class Literal:
        def __init__(self, window):
            self.window, self.probe = window, None

        def in_ascii(self, content):
            return self.window.encode("ascii", "replace") in content

    import cleanroom.notecheck.verbatim as verbatim

    monkeypatch.setattr(verbatim, "raw_window", Literal)
    with Snapshot.open(path, kit.trust) as snap:
        corpus = SnapshotText(snap)
        try:
            got = check_notes(_notes(), corpus, 40)
        finally:
            corpus.close()
    assert not got[4].fragments


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-1, 50), max_size=30),
    st.lists(st.integers(-3, 40), max_size=60, unique=True),
    st.integers(0, 40),
)
def test_the_smallest_candidates_are_those_a_sort_by_size_keeps(sizes, rowids, count):
    """Capped candidates (more than MAX_CANDIDATES) are the smallest blobs, ties to the
    lower rowid, as the Python key sorted them; rowids no file names count as -1."""
    table = array("q", sizes)
    rowids = sorted(rowids)

    def size(r: int) -> int:
        return table[r] if 0 <= r < len(table) else -1

    assert smallest(table, rowids, count) == sorted(sorted(rowids, key=size)[:count])


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(["ab", "a", "b", "_", "9", " ", "\n", "(", "é", "\udcff"])).map(
        "".join
    ),
    st.sampled_from(["ab", "a_b", "_a", "a9", "ab_ab", "b"]),
)
def test_whole_names_are_found_as_the_regular_expression_finds_them(text, name):
    whole = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")
    assert whole_at(text, name) == [m.start() for m in whole.finditer(text)]
