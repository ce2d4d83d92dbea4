"""What a line of source looks like on screen, cell by cell, computed where the
source is: so a view answers with exactly the cells it records.

A line is drawn as its display text: the first `MAX_LINE_BYTES` bytes decoded
(each invalid byte kept for the sanitizer), sanitized with tabs expanded to
stops of `TAB` and look-alikes judged on the whole line, then a marker naming
the bytes cut off. The terminal's painter draws exactly this text
(tui/highlight.py: lexed raw, sanitized per token, which comes out the same),
and a view of columns col..col+cols-1 is those cells of it (`visible`). The
recorder sends only those cells (docs/protocol.md §6), so the terminal never
holds a character left or right of what the `view` entry names; the painter
colours what it gets.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ..sanitize import decode, lookalikes, sanitize

TAB = 4  # tab stops, in columns
MAX_LINE_BYTES = 2000  # longer lines are cut with a visible marker
# Where a window cuts a line (text left of its first column, or right of its last),
# the window's edge cell shows one of these instead (vim's `precedes`/`extends`).
CUT_LEFT, CUT_RIGHT = "‹", "›"
MIN_MARKED = 4  # a window narrower than this shows no cut markers


@lru_cache(maxsize=1 << 14)
def char_width(ch: str) -> int:
    """Terminal cells of one character of display text (sanitized: no controls):
    0 for a combining mark, 2 for East Asian wide and fullwidth, else 1. The core
    keeps its own rule (it imports no UI package); the terminal and the replay
    both cut with it, so they agree whatever a terminal library thinks."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    return sum(map(char_width, text)) if not text.isascii() else len(text)


def marker(hidden_bytes: int) -> str:
    """The text that stands for the bytes of a line past MAX_LINE_BYTES."""
    return f"⟨+{hidden_bytes} bytes⟩"


def display_line(raw: bytes, size: int | None = None) -> str:
    """Line `raw` (its first MAX_LINE_BYTES bytes suffice; `size` is its full
    length, default len(raw)) as the screen shows it, every column of it."""
    size = len(raw) if size is None else size
    text = decode(raw[:MAX_LINE_BYTES])
    shown = sanitize(text, TAB, 0, lookalikes(text)).text
    hidden = size - MAX_LINE_BYTES
    return f"{shown} {marker(hidden)}" if hidden > 0 else shown


def visible(raw: bytes, size: int | None, col: int, cols: int) -> str:
    """Columns col..col+cols-1 of `display_line(raw, size)`, cut by terminal cells
    as the code view crops a line (a wide character cut in two becomes spaces),
    with the cut markers where the line goes on past an edge (`marked`)."""
    text = display_line(raw, size)
    return marked(crop(text, col, cols), *edges(text, col, cols))


def edges(text: str, col: int, cols: int) -> tuple[bool, bool]:
    """Whether a window of cells col..col+cols-1 cuts `text` on the left (a cell
    left of `col` holds text) and on the right (text goes on past the window)."""
    if cols < MIN_MARKED:
        return False, False
    width = cell_len(text)
    return col > 0 and width > 0, width > col + cols


def marking(cells: str, left: bool, right: bool) -> tuple[int, int, int, int]:
    """How the cut markers go into `cells` (a window, exactly its width in cells):
    (a, b, lpad, rpad) such that the window shows
    CUT_LEFT*left + " "*lpad + cells[a:b] + " "*rpad + CUT_RIGHT*right, the same width.
    The marker takes the edge cell; a wide character it halves becomes a space,
    and combining marks go with the character they sit on."""
    a, b, lpad, rpad = 0, len(cells), 0, 0
    if right:
        dropped = 0
        while b > a and dropped < 1:
            b -= 1
            dropped += char_width(cells[b])
        rpad = max(0, dropped - 1)
    if left:
        dropped = 0
        while a < b and (dropped < 1 or char_width(cells[a]) == 0):
            dropped += char_width(cells[a])
            a += 1
        lpad = max(0, dropped - 1)
    return a, b, lpad, rpad


def marked(cells: str, left: bool, right: bool) -> str:
    """`cells` with the cut markers `marking` places (unchanged when neither)."""
    if not (left or right):
        return cells
    a, b, lpad, rpad = marking(cells, left, right)
    return CUT_LEFT * left + " " * lpad + cells[a:b] + " " * rpad + CUT_RIGHT * right


def crop(text: str, col: int, cols: int) -> str:
    """Cells col..col+cols-1 of `text`, padded with spaces to `cols` cells."""
    left, a, b, right = cut(text, col, cols)
    return left + text[a:b] + right


def cut(text: str, col: int, cols: int) -> tuple[str, int, int, str]:
    """How the code view cuts cells col..col+cols-1 out of `text`: (left, a, b,
    right) so that `left + text[a:b] + right` is exactly `cols` cells. A character
    is kept when all its cells are in the window; a wide character cut by an edge
    shows as a space there; a zero-width character (a combining mark) goes with
    the character before it, or with column 0 at the start of the line. The
    reviewer's terminal (drawing cells it was sent) and the replay (drawing whole
    lines) both cut with this, so they show the same text."""
    if cols <= 0 or col < 0:
        return "", 0, 0, ""
    end = col + cols
    if text.isascii() and text.isprintable():  # one cell per character
        a, b = min(col, len(text)), min(end, len(text))
        return "", a, b, " " * (cols - (b - a))
    a = b = None
    left = right = ""
    pos = 0  # the cell the next character starts at
    owner = (0, 0)  # start and end cell of the last character with a width
    for i, ch in enumerate(text):
        width = cell_len(ch)
        if width:
            owner = (pos, pos + width)
            pos += width
        start, stop = owner
        inside = start >= col and stop <= end
        if width and start < col < stop:
            left = " " * (stop - col)  # a wide character cut by the left edge
        if width and start < end < stop:
            right = " " * (end - start)  # ... by the right edge
        if inside and a is None:
            a = i
        if inside:
            b = i + 1
        if start >= end:
            break
    if a is None or b is None:
        a = b = 0
        shown = len(left) + len(right)
    else:
        shown = len(left) + cell_len(text[a:b]) + len(right)
    return left, a, b, right + " " * (cols - shown)
