"""Named snapshot verifier findings. Codes are stable: scripts and reports depend on them.

docs/snapshot-format.md §6 documents each code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .walk import display_path


class Severity(StrEnum):
    TAMPER = "tamper"  # not what the vendor signed, or not trustworthy
    WARNING = "warning"  # worth a look; does not change the status


_T, _W = Severity.TAMPER, Severity.WARNING

CODES: dict[str, tuple[Severity, str]] = {
    # The file
    "NOT_SQLITE": (_T, "the file is not an SQLite database"),
    "CORRUPT": (_T, "the database is damaged and cannot be read completely"),
    "SCHEMA": (_T, "the tables, indexes or pragmas differ from the snapshot schema"),
    # The manifest
    "MANIFEST": (_T, "the manifest is missing or malformed"),
    "UNTRUSTED": (_T, "the manifest names a vendor key that is not trusted"),
    "SIGNATURE": (_T, "the manifest signature is not valid for the vendor key it names"),
    "ROOT": (_T, "the Merkle root of the files table differs from the signed root"),
    "TOTALS": (_T, "the totals in the manifest do not match the tables"),
    # Rows
    "ROW": (_T, "a files row breaks the format (types, kind, path or display)"),
    "ORPHAN": (_T, "an entry's parent directory is not in the snapshot"),
    "BLOB_CHANGED": (_T, "stored content no longer hashes to its key: these files changed"),
    "BLOB_FIELDS": (_T, "a blob's size, binary flag or line index does not match its content"),
    "BLOB_MISSING": (_T, "a file names content that is not stored"),
    "BLOB_EXTRA": (_T, "stored content that no file names"),
    "CHUNKS": (_T, "the chunk lists differ from the signed ones or do not match the content"),
    # The search index
    "INDEX": (_T, "the search index differs from the one the vendor signed"),
    "INDEX_COVERAGE": (_T, "the search index does not cover exactly the text blobs"),
    "INDEX_REBUILD": (_T, "rebuilding the index from the content gives a different index"),
    "PRESENCE": (_T, "the byte presence table does not match the content"),
    # The symbol index
    "SYMBOLS": (_T, "the symbol index differs from the one the vendor signed, or is gone"),
    "SYMBOL_ROW": (_T, "a symbol row points outside its file or names what its line lacks"),
    # Warnings
    "SIDECAR": (_W, "a -journal, -wal or -shm file lies beside the snapshot (ignored)"),
}


@dataclass(frozen=True)
class Finding:
    """One problem, at one path (or none), in plain words."""

    code: str
    message: str
    path: bytes | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code}")

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": None if self.path is None else display_path(self.path),
            "path_hex": None if self.path is None else self.path.hex(),
            "message": self.message,
        }
