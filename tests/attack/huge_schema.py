"""An SQLite file whose sqlite_schema holds `n` crafted tables (names with
terminal escapes), all on one root page: a few MB that SQLite takes minutes to
parse, as every reader must before its first statement.

Usage: python -m tests.attack.huge_schema OUT [N]
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from cleanroom.ledger.schema import APPLICATION_ID, ENTRIES_DDL, USER_VERSION


def build(path: Path, n: int = 300_000) -> Path:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {USER_VERSION}")
        conn.execute(ENTRIES_DDL)
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO sqlite_schema VALUES ('table', ?1, ?1, 2, ?2)",
            ((f"\x1b[2Jt{i}", f'CREATE TABLE "\x1b[2Jt{i}"(x)') for i in range(n)),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


if __name__ == "__main__":
    build(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 300_000)
