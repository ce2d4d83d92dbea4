"""Wrapped lines (ADR 0212): how a screen of `rows` rows of `cols` cells shows
lines from `first` when long lines wrap instead of being cut.

Each line's display text (`display.display_line`) is laid out in rows of `cols`
cells (`rows_of`: a wide character that does not fit begins the next row, so
none is halved), at least one row per line, no cut markers. Lines follow one
another from row 0 until the screen's rows are filled; the last line may show
only its first rows. The recorder lays out what it sends with this, and the
replay what it paints, so both show the same rows; the `view` entry names the
lines (`first..last`), `cols` and `wrap` (the rows).
"""

from __future__ import annotations

from .display import MAX_LINE_BYTES, char_width, display_line

CONTINUED = "↪"  # the gutter of a line's second and later rows
ROW_BREAK = "\n"  # joins a line's rows in what the recorder sends (never in display text)


def rows_of(text: str, cols: int) -> list[str]:
    """The rows of one line's display text, exactly `cols` cells each (at least one
    row). A wide character that does not fit at a row's end begins the next row
    (the end is padded with a space), so no character is halved or hidden; a
    zero-width one stays with the character before it. Only where a row has no
    room for a wide character at all (`cols` 1) is it a space."""
    if cols < 1:
        return [""]
    if text.isascii() and text.isprintable():  # one cell per character
        return [text[k : k + cols].ljust(cols) for k in range(0, max(len(text), 1), cols)]
    rows: list[str] = []
    row: list[str] = []
    width = 0
    for ch in text:
        w = char_width(ch)
        if w > cols:
            ch, w = " ", 1
        if w and width + w > cols:
            rows.append("".join(row) + " " * (cols - width))
            row, width = [], 0
        row.append(ch)
        width += w
    rows.append("".join(row) + " " * (cols - width))
    return rows


def layout(texts: list[str], rows: int, cols: int) -> list[list[str]]:
    """The rows shown of each line of `texts` (display texts of consecutive lines,
    the first at row 0) on a screen of `rows` rows: one list per line with a row
    on screen, the last one cut to the rows left. Lines past the screen are not
    in the answer (so its length says which line is last)."""
    out: list[list[str]] = []
    left = rows
    for text in texts:
        if left <= 0:
            break
        shown = rows_of(text, cols)[:left]
        out.append(shown)
        left -= len(shown)
    return out


def wrapped_screen(raw: list[bytes], sizes: list[int], rows: int, cols: int) -> list[bytes]:
    """What a wrapped view carries of consecutive raw lines (each at most
    MAX_LINE_BYTES with its full size in `sizes`): per line with a row on screen,
    its shown rows joined by ROW_BREAK, UTF-8."""
    texts = [display_line(x, n) for x, n in zip(raw, sizes, strict=True)]
    return [ROW_BREAK.join(r).encode("utf-8") for r in layout(texts, rows, cols)]


Row = tuple[int, int, str]  # (line index 0-based, row k of that line, its cells)


def received_rows(first: int, lines: list[bytes], rows: int) -> list[Row]:
    """The screen's rows from what a wrapped view carried (`wrapped_screen`) of the
    lines from `first` (1-based): what the terminal draws."""
    out: list[Row] = []
    for i, data in enumerate(lines):
        for k, cells in enumerate(data.decode("utf-8", "replace").split(ROW_BREAK)):
            out.append((first - 1 + i, k, cells))
    return out[:rows]


def replayed_rows(first: int, raw: list[bytes], rows: int, cols: int) -> list[Row]:
    """The screen's rows of a recorded wrapped view, laid out again from the whole
    raw lines from `first` (1-based): what the replay draws."""
    texts = [display_line(x[:MAX_LINE_BYTES], len(x)) for x in raw]
    return [(first - 1 + i, k, cells)
            for i, shown in enumerate(layout(texts, rows, cols))
            for k, cells in enumerate(shown)]  # fmt: skip


def row_places(rows: list[Row], cols: int) -> list[tuple[int, int, int]]:
    """Where each row of a screen (`received_rows`, `replayed_rows`) sits in its line,
    from the rows alone: (at, col, used): its first character is character `at` of
    the line's shown rows joined, and display column `col` of the line; its first
    `used` cells are the line's. A row's last cell is padding when the line's next
    row begins with a wide character (`rows_of`); the rows cannot tell that from a
    space of the source there, so a row ending in a space before a wide one is read
    as padded. Only where marks fall can be one cell off then, never the text."""
    out: list[tuple[int, int, int]] = []
    at = col = 0
    for y, (index, k, cells) in enumerate(rows):
        if k == 0:
            at = col = 0
        after = rows[y + 1] if y + 1 < len(rows) else None
        padded = (after is not None and after[0] == index and after[2][:1] != ""
                  and char_width(after[2][0]) == 2 and cells.endswith(" "))  # fmt: skip
        used = cols - 1 if padded else cols
        out.append((at, col, used))
        at, col = at + len(cells), col + used
    return out


__all__ = ["CONTINUED", "ROW_BREAK", "Row", "layout", "received_rows", "replayed_rows",
           "row_places", "rows_of", "wrapped_screen"]  # fmt: skip
