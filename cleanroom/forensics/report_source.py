"""Source beside the heat strip (`--with-source`), like coverage.py's file pages.

Each line is shaded by its dwell on the group's scale (the heat levels of the
strip) and carries its number; the text goes through the one sanitizer and
HTML escaping like every other untrusted string. Stretches never shown that are
longer than `2 * CONTEXT + 1` lines fold into one row that says so, at most
`MAX_LINES` rows are written per file, each line cut at `LINE_CHARS` characters
(with a mark counting the rest), and the rows of all files together stop at
`html_budget.SOURCE_BYTES`, so the page grows with what was seen, not with the
size of the files, and stays bounded (atk14: one 10 MB minified line was
written whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..sanitize import decode
from . import html_budget
from .coverage import FileCoverage, heat_level
from .describe import duration
from .html_budget import Budget
from .source_text import SourceText

CONTEXT = 3  # never-shown lines kept around what was seen
MAX_LINES = 2000  # source rows per file
LINE_CHARS = 1000  # characters of one line written; the rest counted, not written
CSS = """
table.source{border-collapse:collapse;font:12px/1.35 ui-monospace,monospace;display:table;
width:100%;table-layout:fixed}
table.source td{border:0;padding:0 6px;white-space:pre-wrap;word-break:break-all;background:none}
table.source td.ln{width:5em;text-align:right;color:#555;background:#f6f6f6;user-select:none}
table.source tr.fold td{color:#555;font-style:italic;background:#fafafa}
table.source tr.h1 td+td{background:#fffbea}table.source tr.h2 td+td{background:#fff5d6}
table.source tr.h3 td+td{background:#ffefc2}table.source tr.h4 td+td{background:#ffe6b0}
table.source tr.h5 td+td{background:#ffdca0}table.source tr.h6 td+td{background:#ffd0a0}
table.source tr.h7 td+td{background:#ffc2a0}table.source tr.h8 td+td{background:#ffb2a0}
table.source tr.h9 td+td{background:#ffa090}table.source tr td.ln{border-right:4px solid #eee}
table.source tr.h5 td.ln,table.source tr.h6 td.ln,table.source tr.h7 td.ln{border-color:#f0602b}
table.source tr.h8 td.ln,table.source tr.h9 td.ln{border-color:#b31e22}
table.source tr.h1 td.ln,table.source tr.h2 td.ln,table.source tr.h3 td.ln,
table.source tr.h4 td.ln{border-color:#ffc658}
.banner.source{border-color:#6f42c1;background:#f3edff;font-weight:bold}
"""


def banner(source: SourceText, h: Callable[[object], str]) -> str:
    names = "; ".join(h(n) for n in source.names)
    return (
        '<p class="banner source" id="contains-source">This report contains source code '
        f"from {names}. Handle it as you handle the source itself.</p>\n"
    )


CUT = "the page's bound: the JSON report holds each file's line ranges"


def source_table(
    f: FileCoverage,
    source: SourceText,
    scale_us: int,
    h: Callable[[object], str],
    budget: Budget | None = None,
) -> Iterator[str]:
    """The file's lines seen, with context, as table rows; each row taken from
    `budget` (the report's SOURCE_BYTES), so that the source of all files together
    is bounded: once it is spent, one row (or line) says the source is not included."""
    budget = budget if budget is not None else Budget(MAX_LINES + 1, html_budget.SOURCE_BYTES)
    if budget.rows <= 0:
        yield f'<p class="nosource cut">Source not included here ({CUT}).</p>\n'
        return
    lines = source.lines(f.blob, f.path)
    if isinstance(lines, str):
        yield f'<p class="nosource">Source: {h(lines)}.</p>\n'
        return
    total = len(lines)
    yield '<table class="source">\n'
    written, n = 0, 1  # n: the next line not yet accounted for
    for first, last in _kept(f, total):
        if first > n:
            yield _fold(f"lines {n}–{first - 1} never shown")
        for k in range(first, last + 1):
            if written >= MAX_LINES:
                yield _fold(f"lines {k}–{total}: not included (at most {MAX_LINES} per file)")
                yield "</table>\n"
                return
            run = f.at(k)
            dwell, shown = (run.dwell_us, run.shown) if run else (0, 0)
            tip = f' title="{duration(dwell)}, shown {shown} times"' if shown else ""
            row = (
                f'<tr class="h{heat_level(dwell, bool(shown), scale_us)}"{tip}>'
                f'<td class="ln">{k}</td><td>{_line(lines[k - 1], h)}</td></tr>\n'
            )
            if not budget.take(row):
                yield _fold(f"lines {k}–{total}: source not included here ({CUT})")
                yield "</table>\n"
                return
            yield row
            written += 1
        n = last + 1
    if n <= total:
        yield _fold(f"lines {n}–{total} never shown")
    yield "</table>\n"


def _line(raw: bytes, h: Callable[[object], str]) -> str:
    """A line for the table: its first LINE_CHARS characters, cut before the one
    sanitizer (so no tag is split), and a mark that counts the rest."""
    text = decode(raw[: 4 * LINE_CHARS + 4]) if len(raw) > 4 * LINE_CHARS else decode(raw)
    if len(raw) <= LINE_CHARS or len(text) <= LINE_CHARS:
        return h(text)
    left = len(decode(raw)) - LINE_CHARS
    return (
        f'{h(text[:LINE_CHARS])}<span class="cut">… {left:,} more characters of this line '
        "not shown</span>"
    )


def _fold(text: str) -> str:
    return f'<tr class="fold"><td class="ln"></td><td>{text}</td></tr>\n'


def _kept(f: FileCoverage, total: int) -> list[tuple[int, int]]:
    """The line ranges to write, in order and apart: every run seen, with `CONTEXT`
    lines either side, within 1..total."""
    out: list[tuple[int, int]] = []
    for seg in f.runs:
        if not seg.shown:
            continue
        first, last = max(1, seg.first - CONTEXT), min(total, seg.last + CONTEXT)
        if first > last:
            continue
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out
