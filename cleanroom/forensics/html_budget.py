"""A bound on what one section of the HTML report holds (docs/report-format.md).

A hostile or merely huge set of ledgers can name thousands of files under
paths of kilobytes of escapes: rows of the timeline and of the coverage
summary then cost kilobytes each after sanitizing, and an attack measured a
172 MB page. Each unbounded section takes rows from a `Budget` (a count and
UTF-8 bytes) and, once it is spent, says how much it left out and that the
JSON, JSON Lines and CSV reports hold everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

TIMELINE_ROWS = 20_000  # rows of the timeline, over all sessions of a report
TIMELINE_BYTES = 8_000_000  # UTF-8 bytes of those rows
SUMMARY_ROWS = 5_000  # coverage rows beyond the top files, per coverage group
SUMMARY_BYTES = 4_000_000
TOP_ROWS_BYTES = 2_000_000  # heatmap rows of the hottest file versions, over the report
DETAIL_BYTES = 2_000_000  # their detail sections (less --with-source's lines), over the report
LISTED_ROWS = 20_000  # rows of "Searches", and apart of "Alerts and resumes", per report
LISTED_BYTES = 2_000_000  # UTF-8 bytes of each of those two sections
NEVER_ROWS = 5_000  # directories listed under "Never opened", over all snapshots
NEVER_BYTES = 2_000_000
# --with-source's lines, over the report: the hottest files' source up to this, then
# one line per file that says it is not included (on top of PAGE_BYTES).
SOURCE_BYTES = 16_000_000
MAP_BYTES = 3_000_000  # the treemaps' own bound (report_treemap.MAX_BYTES)
NOTES_ROWS = 5_000  # rows of "Notes" (report_notes.notes_html); the JSON lists every note
NOTES_BYTES = 2_000_000
# Rows per ledger or reviewer: "Verification", "Sessions" and the two tables of
# "At a glance" each hold at most this many rows and bytes, per report.
LEDGER_ROWS = 1_000
LEDGER_BYTES = 500_000
LEDGER_TABLES = 4
# Banners of one kind (a finding across sessions, search rows not counted) and
# reviewer columns of the coverage table: the first few, then one line that says
# how many more and where they are; the page never widens with the ledger count.
BANNERS = 20
REVIEWER_COLUMNS = 10
# The page's bound, by construction: each growing section's bound plus the
# treemaps'; 29 MB (report-format.md), whatever the ledgers and how many.
PAGE_BYTES = (
    TIMELINE_BYTES + SUMMARY_BYTES + TOP_ROWS_BYTES + DETAIL_BYTES
    + 2 * LISTED_BYTES + NEVER_BYTES + MAP_BYTES + LEDGER_TABLES * LEDGER_BYTES + NOTES_BYTES
)  # fmt: skip


EVERY_ONE = "the JSON, JSON Lines and CSV reports list every one"


def cut_row(cols: int, left: int, what: str, where: str = EVERY_ONE) -> str:
    """The row that says a section stops at the page's bound, and where the rest is."""
    return (
        f'<tr class="cut"><td colspan="{cols}">{left:,} more {what} not shown here (the '
        f"page's bound): {where}</td></tr>\n"
    )


def bounded(rows: list[str], cols: int, what: str, where: str = EVERY_ONE) -> Iterator[str]:
    """The rows of a table with one row per ledger or reviewer, up to LEDGER_ROWS
    and LEDGER_BYTES, then one row that counts the rest and says where they are."""
    budget = Budget(LEDGER_ROWS, LEDGER_BYTES)
    for n, row in enumerate(rows):
        if not budget.take(row):
            yield cut_row(cols, len(rows) - n, what, where)
            return
        yield row


def banners(texts: Iterable[str], what: str, where: str = EVERY_ONE) -> Iterator[str]:
    """The first BANNERS of `texts` (each a whole `<p class="banner">`), then one
    banner that counts the rest and says where they are."""
    left = 0
    for n, text in enumerate(texts):
        if n < BANNERS:
            yield text
        else:
            left += 1
    if left:
        yield (
            f'<p class="banner cut">{left:,} more {what} not shown here (the page\'s bound, '
            f"{BANNERS} at the most): {where}</p>\n"
        )


@dataclass
class Budget:
    """What a section may still hold: rows and UTF-8 bytes."""

    rows: int
    bytes: int

    def take(self, text: str, rows: int = 1) -> bool:
        """True, and `text` counted, when it fits; False once the budget is spent
        (then nothing more fits, so a section is cut at one place). `rows=0`: bytes
        that are no row of the section's count (a session's heading)."""
        size = len(text.encode("utf-8", "surrogatepass"))
        if self.rows <= 0 or size > self.bytes:
            self.rows = 0
            return False
        self.rows -= rows
        self.bytes -= size
        return True
