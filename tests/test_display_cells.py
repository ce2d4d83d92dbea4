"""A view answers with exactly the display cells it records (attack on issue 13,
F1: the answer carried every character left of the view's first column). The
terminal draws those cells; the replay draws the whole line and crops it. Both
must put the same text on screen, for any line and any window."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style

from cleanroom.session.display import MAX_LINE_BYTES, cell_len, crop, display_line, visible
from cleanroom.session.document import BytesDocument
from cleanroom.session.service import FileFacts, Screen, screen_lines
from cleanroom.tui.painter import PAD, Painter
from cleanroom.tui.shown import ShownDocument

CONSOLE = Console(width=300, color_system=None, force_terminal=False)
PIECES = ["a", "b", " ", "\t", "x = 1;", "\x1b[2J", "\u202e", "\u200b", "\u4e2d", "\u0301",
          "é", "а", "\xff", "\r", "\x00", "ｗ", "🙂", "0123456789", "⟨RLO⟩"]  # fmt: skip
GUTTER = Style()


def line_bytes(parts: list[str], invalid: bool) -> bytes:
    data = "".join(parts).encode("utf-8", "surrogateescape")
    return data + b"\xc3" if invalid else data


def drawn_full(lines: list[bytes], index: int, col: int, cols: int) -> str:
    """What the replay draws: the whole line's strip, cropped."""
    doc = BytesDocument(b"\n".join(lines) + b"\n", b"f.txt")
    strip = Painter(doc, CONSOLE).strip(index, col, cols, GUTTER, GUTTER)
    return strip.text


def drawn_cells(lines: list[bytes], index: int, col: int, cols: int) -> str:
    """What the terminal draws from the cells a view answered with."""
    facts = FileFacts(b"f.txt", "f.txt", "", 0, len(lines), max(map(len, lines)), False)
    shown = ShownDocument(facts)
    raw = BytesDocument(b"\n".join(lines) + b"\n", b"f.txt").lines(0, len(lines))
    shown.put(Screen(1, screen_lines(raw, col, cols), [len(x) for x in raw], col))
    # The gutter's `!` comes from the file's scan at open (FileFacts.flagged_lines),
    # as in the app: the cells alone cannot say a line holds a tag off screen.
    full = Painter(BytesDocument(b"\n".join(lines) + b"\n", b"f.txt"), CONSOLE)
    flagged = frozenset(i + 1 for i in range(len(lines)) if full.line(i).flags)
    return Painter(shown, CONSOLE, flagged).strip(index, col, cols, GUTTER, GUTTER).text


@settings(max_examples=int(os.environ.get("CELLS_EXAMPLES", "300")), deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(PIECES), max_size=40), min_size=1, max_size=4),
    st.booleans(),
    st.integers(0, 120),
    st.integers(1, 80),
)
def test_the_terminal_draws_what_the_replay_draws(parts, invalid, col, cols):
    lines = [line_bytes(p, invalid) for p in parts]
    for index in range(len(lines)):
        assert drawn_cells(lines, index, col, cols) == drawn_full(lines, index, col, cols)


def test_long_lines_keep_their_marker_and_cut():
    line = ("é" * 1500).encode()  # 3000 bytes: cut at 2000 with a marker
    assert "⟨+1000 bytes⟩" in display_line(line)
    for col in (0, 990, 999, 1000, 1005):
        assert drawn_cells([line], 0, col, 30) == drawn_full([line], 0, col, 30)


def test_nothing_left_or_right_of_the_window_is_carried():
    line = b"0123456789" * 10
    assert screen_lines([line], 40, 5) == ["‹123›".encode()]  # cut both sides: marked
    assert screen_lines([line], 40, 3) == [b"012"]  # too narrow for markers
    assert screen_lines([b"short"], 1000, 1) == [b" "]  # the attack: one blank cell
    assert screen_lines([b""], 0, 3) == [b"   "]
    assert screen_lines([b"x"], 0, 3) == [b"x  "]
    assert visible(b"a\tb", None, 1, 3) == "   "  # the tab's cells, not the `a`
    assert visible("x\u4e2dy".encode(), None, 2, 3) == " y "  # a wide character cut in two
    assert visible("x\u4e2dy".encode(), None, 2, 5) == "‹y   "  # ... and the marker takes it


def test_a_cut_line_says_so_at_the_edge_it_goes_on_past():
    line = b"0123456789" * 3
    assert visible(line, None, 0, 10) == "012345678›"  # more to the right
    assert visible(line, None, 10, 10) == "‹12345678›"  # both
    assert visible(line, None, 20, 10) == "‹123456789"  # the end: nothing to the right
    assert visible(line, None, 0, 30) == line.decode()  # all of it: no marker
    assert visible(line, None, 0, 29) == line.decode()[:28] + "›"  # one cell short
    assert visible(b"", None, 5, 10) == " " * 10  # nothing left of the window: no marker
    assert visible(b"ab", None, 5, 10) == "‹" + " " * 9  # text off to the left only
    wide = ("\u4e2d" * 10).encode()  # 20 cells
    assert visible(wide, None, 0, 10) == "\u4e2d" * 4 + " ›"  # the halved wide character
    assert visible(wide, None, 2, 10) == "‹ " + "\u4e2d" * 3 + " ›"
    combining = "ae\u0301bcdefghij".encode()
    assert visible(combining, None, 1, 5) == "‹bcd›"  # the mark goes with its e
    for cols in range(4, 12):  # a marked window is still exactly its width
        for col in range(0, 25):
            assert cell_len(visible(wide + line, None, col, cols)) == cols


def test_every_cell_is_sanitized_text():
    cells = visible(b"a\x1b[2J\xe2\x80\xaeb", None, 0, 80)
    assert "\x1b" not in cells and "\u202e" not in cells and "⟨" in cells
    assert crop("abc", 5, 3) == "   " and crop("abc", 0, 0) == ""
    assert len(display_line(b"x" * 5000).encode()) < MAX_LINE_BYTES + 40


def test_pad_is_a_style():
    assert PAD is not None
