"""A ledger's two ends: its first and its last row, and nothing between.

What a session's history needs (who started it, the head the next session names,
whether it was sealed) in two b-tree seeks, whatever the ledger's length. Reading
every row made each recorder session start wait 24-37 s for one 1M-entry ledger
in the directory (attack on issue 13, F11). As safe as `load.load_path`:
read-only, no sidecar replayed, rows only when the schema is exactly the ledger's.
Nothing is checked beyond that: `cleanroom verify` judges the rows between.
"""

from __future__ import annotations

from pathlib import Path

from .encoding import MAX_BODY
from .load import (
    FIRST_ROW_SQL,
    LAST_ROW_SQL,
    READ_ERRORS,
    LedgerImage,
    ReadBudget,
    failure,
    open_path,
    read_header,
)


def load_ends(path: Path) -> LedgerImage:
    """Only the first and the last row (by seq) of a ledger file (see above)."""
    with open_path(path) as (image, source):
        if source is None:
            return image
        budget = ReadBudget()
        try:
            with source.connect(budget) as conn:
                if read_header(conn, image, budget):
                    image.rows_read = True
                    with budget.spending():
                        first = conn.execute(FIRST_ROW_SQL, (MAX_BODY,)).fetchone()
                        last = conn.execute(LAST_ROW_SQL, (MAX_BODY,)).fetchone()
                    ends = [r[:3] for r in (first, last) if r is not None]
                    image.rows.extend(ends[:1] if len(ends) == 2 and ends[0] == ends[1] else ends)
        except READ_ERRORS as exc:
            image.problems.append(failure(exc))
        return image
