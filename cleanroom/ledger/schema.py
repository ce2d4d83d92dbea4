"""The exact SQLite schema of a ledger. The writer executes it; the verifier pins it."""

APPLICATION_ID = 0x434C524D  # "CLRM"
USER_VERSION = 1

ENTRIES_DDL = """CREATE TABLE entries (
    seq INTEGER PRIMARY KEY CHECK (seq >= 0),
    body BLOB NOT NULL,
    sig BLOB NOT NULL CHECK (length(sig) = 64)
) STRICT"""

# What sqlite_schema must hold, as (type, name, tbl_name, sql) rows: nothing else.
EXPECTED_SCHEMA = [("table", "entries", "entries", ENTRIES_DDL)]

SUFFIX = ".ledger"
RECEIPT_SUFFIX = ".receipt.json"
