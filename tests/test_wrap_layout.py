"""The one wrap layout (session/wrap.py, ADR 0212), for random lines, widths and
heights: every row is exactly `cols` cells; no character is lost, halved or
moved (the rows, their padding taken out, are the display text); the terminal's
rows (from what the recorder sends) are the replay's (laid out again); and the
lines named are exactly those with a row on screen."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.session.display import cell_len, char_width, display_line
from cleanroom.session.wrap import layout, received_rows, replayed_rows, rows_of, wrapped_screen

TEXT = st.text(alphabet="ab \t漢字e\u0301\x1b\u202e\xff", max_size=120)
LINES = st.lists(TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.integers(1, 30))
def test_rows_are_exactly_cols_wide_and_keep_every_character(text, cols):
    shown = display_line(text.encode())
    rows = rows_of(shown, cols)
    assert rows and all(cell_len(r) == cols for r in rows)
    if cols >= 2:  # a wide character always fits a row: nothing is replaced
        kept = [ch for r in rows for ch in r]
        # Padding is spaces at row ends only; without it the text is whole, in order.
        assert "".join(kept).replace(" ", "") == shown.replace(" ", "")
        assert sum(char_width(c) for c in shown) <= len(rows) * cols


@settings(max_examples=300, deadline=None)
@given(LINES, st.integers(1, 40), st.integers(1, 25), st.integers(1, 3))
def test_the_terminal_and_the_replay_draw_the_same_rows(lines, rows, cols, first):
    sizes = [len(x) for x in lines]
    sent = wrapped_screen(lines, sizes, rows, cols)
    assert received_rows(first, sent, rows) == replayed_rows(first, lines, rows, cols)
    laid = layout([display_line(x) for x in lines], rows, cols)
    assert len(sent) == len(laid)  # the lines named: those with a row on screen
    assert sum(len(r) for r in laid) == min(rows, sum(len(rows_of(display_line(x), cols))
                                                       for x in lines))  # fmt: skip


def test_boring_lines():
    assert rows_of("", 5) == ["     "]
    assert rows_of("abcde", 5) == ["abcde"]
    assert rows_of("abcdef", 5) == ["abcde", "f    "]
    assert rows_of("a漢", 2) == ["a ", "漢"]  # the wide character begins the next row
    assert rows_of("漢", 1) == [" "]  # no room at all: a space, never two cells in one
    assert layout(["x" * 12, "y"], 2, 5) == [["xxxxx", "xxxxx"]]  # line 2 not on screen
