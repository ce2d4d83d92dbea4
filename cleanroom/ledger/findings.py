"""Named verifier findings. Codes are stable: scripts and reports depend on them.

docs/verdict.md documents each code; tests/test_docs.py keeps the two in step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

PER_CODE = 50  # findings listed per code; the rest are only counted


class Severity(StrEnum):
    TAMPER = "tamper"  # not what the workstation wrote, or not trustworthy
    INCOMPLETE = "incomplete"  # authentic, but not a whole sealed session
    WARNING = "warning"  # worth a look; does not change the status


_T, _I, _W = Severity.TAMPER, Severity.INCOMPLETE, Severity.WARNING

CODES: dict[str, tuple[Severity, str]] = {
    # The file
    "NOT_SQLITE": (_T, "the file is not an SQLite database"),
    "CORRUPT": (_T, "the database is damaged and cannot be read completely"),
    "SCHEMA": (_T, "the database schema differs from the ledger schema"),
    "EMPTY": (_T, "the ledger has no entries"),
    # Entries
    "SEQ_GAP": (_T, "entries are missing: sequence numbers are not contiguous"),
    "ENCODING": (_T, "an entry's bytes do not follow the ledger format"),
    "SEQ_MISMATCH": (_T, "an entry's signed seq differs from its row"),
    "WRONG_LEDGER": (_T, "an entry belongs to another ledger (spliced)"),
    "CHAIN": (_T, "an entry does not link to the hash of the entry before it"),
    "SIGNATURE": (_T, "an entry's signature is not valid for the key that must sign it"),
    "START_MISSING": (_T, "the first entry is not a session_start"),
    "START_REPEATED": (_T, "a session_start appears after the first entry"),
    "AFTER_SEAL": (_T, "an entry follows the session_end"),
    "TIME_REVERSED": (_T, "monotonic time went backwards within one boot"),
    "BOOT_CHANGED": (_T, "the boot changed without a session_resume"),
    "RESUME": (_T, "a session_resume does not name the entry before it"),
    "TOTALS": (_T, "the session_end totals do not match the entries"),
    "COUNTERSIGN": (_T, "the reviewer's countersignature is invalid"),
    # Trust
    "CERT_UNTRUSTED": (_T, "the workstation certificate is not signed by a trusted vendor key"),
    "CERT_INVALID": (_T, "the workstation certificate cannot be read"),
    "CERT_EXPIRED": (
        _T,
        "an entry the workstation key signed (start or resume) lies outside the certificate's"
        " validity period",
    ),
    "REVIEWER_UNKNOWN": (
        _T,
        "a reviewer key the ledger names is not among the known reviewer keys given",
    ),
    # Witnesses
    "WITNESS_MISMATCH": (_T, "the entry at a witnessed seq has a different hash"),
    "WITNESS_BEYOND_END": (_T, "a witness names a seq past the end: the tail is missing"),
    "RECEIPT_LEDGER": (_T, "the receipt belongs to another ledger"),
    # Completeness
    "UNSEALED": (_I, "the session was never sealed with a session_end"),
    "RESUMED": (_I, "the session was resumed after a crash (a discontinuity)"),
    "TORN_WRITE": (_I, "the write-ahead log ends in a partial frame (a crash mid-write)"),
    "SEAL_UNFINISHED": (_I, "sealed, but sealing never finished the file (still in WAL mode)"),
    "LIVE_COPY": (_I, "the session kept writing through every copy: damage may be the copy's"),
    # Warnings
    "CLOCK_STEP": (_W, "the wall clock stepped relative to the monotonic clock"),
    "SIDECAR": (_W, "a sealed ledger has a -wal or -journal file beside it"),
    "NOT_COUNTERSIGNED": (
        _W,
        "the seal lacks the countersignature of the reviewer key named at start",
    ),
    # Sets of ledgers (one workstation's sessions)
    "SESSION_MISSING": (_T, "a session names a predecessor that is not present"),
    "SESSION_FORK": (_T, "two sessions name the same predecessor"),
    "SESSION_COPY": (_W, "two files hold the same session, entry for entry: counted once"),
    "SESSION_HEAD": (_T, "a session's recorded predecessor head differs from that ledger"),
    "SESSION_ORDER": (
        _T,
        "a session started before its predecessor ended, by the monotonic clock of one boot",
    ),
    "SESSION_CLOCK": (
        _W,
        "by the wall clock a session starts before its predecessor ends: the clock was set back",
    ),
    "SESSION_RENEWED": (_W, "a session runs under another certificate than its predecessor"),
    # Notes over a set of ledgers (report, notes check, release; ADR 0308)
    "NOTE_FOREIGN": (_T, "a session edits or withdraws another session's note: not applied"),
    "NOTE_SKIPPED": (_W, "a note entry does not fit the note format: skipped"),
}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, at one entry (or none), in plain words."""

    seq: int | None
    code: str
    message: str

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code}")

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def sort_key(self) -> tuple[int, int, str]:
        return (-1 if self.seq is None else self.seq, _RANK[self.severity], self.code)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "seq": self.seq,
            "message": self.message,
        }


_RANK = {Severity.TAMPER: 0, Severity.INCOMPLETE: 1, Severity.WARNING: 2}


def cap(findings: Iterable[Finding], omitted: Counter[str]) -> list[Finding]:
    """The first PER_CODE findings of each code, in the order given; the number
    left out is added to `omitted`. A hostile file can hold millions of bad rows:
    the verdict names the first ones and counts the rest."""
    kept: list[Finding] = []
    listed: Counter[str] = Counter()
    for f in findings:
        if listed[f.code] < PER_CODE:
            listed[f.code] += 1
            kept.append(f)
        else:
            omitted[f.code] += 1
    return kept
