"""Paragraph moves (`{` and `}`, issue 15), as vim makes them: to the previous or
next empty line, the boundary of a paragraph. Pure (no UI, no ledger): the
caller records the move as a `goto` before anything of it is shown.

The terminal holds the lines of one screen only, so the line to go to is found
here, where the signed text is. vim's rule (`findpar`): from line `line`, step
one line at a time in the direction asked, and stop at the first empty line
reached after a line that is not empty (the start line counts); with none, stop
at the file's last line going forward, its first going backward. So a run of
empty lines is crossed, not stopped in. A line is empty when it holds no byte
but its line ending (`Document.lines` drops `\\n` and `\\r\\n`); a line of
spaces is not empty, as in vim. A binary file (hex rows) has no empty line.
"""

from __future__ import annotations

from collections.abc import Iterator

from .document import Document

BATCH = 4096  # lines read from the document at a time


def _batches(document: Document, line: int, forward: bool) -> Iterator[tuple[int, list[bytes]]]:
    """Lists of lines from `line` on (1-based), in the direction asked (reversed
    going backward), each with the number of its first line."""
    count = document.line_count
    if forward:
        for start in range(line - 1, count, BATCH):
            yield start + 1, document.lines(start, min(start + BATCH, count))
    else:
        for stop in range(line, 0, -BATCH):
            got = document.lines(max(0, stop - BATCH), stop)
            got.reverse()
            yield stop, got


def paragraph_line(document: Document, line: int, forward: bool) -> int:
    """The line (1-based) that `}` (forward) or `{` moves to from `line`. Raises
    ValueError when `line` is not a line of the document (an empty document has
    one empty line 1, as the viewer shows it)."""
    count = document.line_count
    if not 1 <= line <= max(1, count):
        raise ValueError(f"line {line} of {count}")
    if count == 0:
        return 1
    step = 1 if forward else -1
    seen_text = False
    for first, got in _batches(document, line, forward):
        at = 0
        if first == line:  # the start line: text there counts, an empty one does not stop
            seen_text, at = bool(got[0]), 1
        while at < len(got):
            if not seen_text:  # skip a run of empty lines
                at = next((k for k in range(at, len(got)) if got[k]), len(got))
                seen_text, at = at < len(got), at + 1
                continue
            try:
                at = got.index(b"", at)  # the next empty line, at C speed
            except ValueError:
                break
            return first + step * at
    return count if forward else 1


__all__ = ["paragraph_line"]
