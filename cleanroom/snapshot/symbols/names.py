"""Find a name in `symbol_names` by halving its numbers (table.py: numbered in
ascending byte order, so no index on the text is needed).

Each step reads one row by its rowid. A table whose order is broken (only a
vendor could sign one; verify names it) makes a lookup miss, never loop: the
halving takes at most 64 steps whatever the rows hold.
"""

from __future__ import annotations

import sqlite3

_COUNT = "SELECT max(id) FROM symbol_names"
_AT = "SELECT CAST(name AS BLOB) FROM symbol_names WHERE id = ?"


class Names:
    """The names of one open snapshot's `symbol_names`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        top = conn.execute(_COUNT).fetchone()[0]
        self.count = top if type(top) is int and top > 0 else 0

    def at(self, number: int) -> bytes | None:
        """The raw name numbered `number`, or None."""
        row = self._conn.execute(_AT, (number,)).fetchone()
        return row[0] if row is not None and isinstance(row[0], bytes) else None

    def lower_bound(self, raw: bytes) -> int:
        """The first number whose name is not below `raw` (count + 1 if none)."""
        low, high = 1, self.count + 1
        while low < high:
            mid = (low + high) // 2
            name = self.at(mid)
            if name is not None and name < raw:
                low = mid + 1
            else:
                high = mid
        return low

    def find(self, raw: bytes) -> int | None:
        """The number of the name `raw`, or None if there is no such name."""
        number = self.lower_bound(raw)
        return number if number <= self.count and self.at(number) == raw else None


__all__ = ["Names"]
