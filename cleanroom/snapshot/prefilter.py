"""The lines that may hold a match of a regex, found by Hyperscan (ADR 0113).

A regex with no literal to look for first (`[0-9a-f]{8}-[0-9a-f]{4}`) made RE2 scan
every byte of every text file, at about 0.7 GB/s. Hyperscan scans several times
faster. It is used here only to choose lines: the byte pattern (bytepattern.py)
is compiled with HS_FLAG_PREFILTER (a superset of its matches, never fewer) and
HS_FLAG_MULTILINE, and every match end it reports names a line (the one holding
the match's last byte: a match of the RE2 pattern is never empty when the byte
pattern cannot be, and never holds a line feed). RE2 then finds the exact matches
on those lines only, so hits, spans and the digest are RE2's, as before.

`Prefilter.of(text, case)` is None where this cannot be used: no byte pattern (a
pattern that can match the empty string, say), or Hyperscan not installed (no
wheel for the platform). A pattern Hyperscan will not compile marks the prefilter
unusable at its first use (`usable`), and the caller scans with RE2 as before.

Scratch space is per thread (Hyperscan refuses one scratch in two scans at once).
A line with many match ends stops the scan (past DENSE ends) and it restarts
after that line, so that a line of hex digits costs a call, not one per byte.
"""

from __future__ import annotations

import threading
from typing import Any

from .bytepattern import byte_pattern

DENSE = 16  # match ends in one line before the scan restarts after it


def _hyperscan() -> Any:
    try:
        import hyperscan  # noqa: PLC0415 (optional: only where a wheel exists)
    except Exception:  # noqa: BLE001 (missing, or refused by an audit policy)
        return None
    return hyperscan


class Prefilter:
    def __init__(self, expression: bytes) -> None:
        self.expression = expression
        self._lock = threading.Lock()
        self._db: Any = None
        self._failed = False
        self._local = threading.local()

    @classmethod
    def of(cls, text: str, case: bool) -> Prefilter | None:
        found = byte_pattern(text, case)
        if found is None or _hyperscan() is None:
            return None
        return cls(found.encode("ascii"))

    @property
    def usable(self) -> bool:
        """Whether the pattern compiled (compiles it at the first call)."""
        return self._database() is not None

    def _database(self) -> Any:
        if self._db is not None or self._failed:
            return self._db
        with self._lock:
            if self._db is None and not self._failed:
                hs = _hyperscan()
                try:
                    db = hs.Database(mode=hs.HS_MODE_BLOCK)
                    db.compile(
                        expressions=[self.expression],
                        flags=hs.HS_FLAG_PREFILTER | hs.HS_FLAG_MULTILINE,
                    )
                    self._db = db
                except Exception:  # noqa: BLE001 (too large, unsupported: RE2 scans)
                    self._failed = True
        return self._db

    def _scratch(self, db: Any) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = _hyperscan().Scratch(db)
            self._local.scratch = scratch
        return scratch

    def any(self, data: bytes) -> bool:
        """Whether `data` may hold a match (False: RE2 finds none in it)."""
        db = self._database()
        hs = _hyperscan()
        try:
            db.scan(data, match_event_handler=_stop, scratch=self._scratch(db))
        except hs.ScanTerminated:
            return True
        return False

    def lines(self, data: bytes) -> list[tuple[int, int]]:
        """(start, end) of each line of `data` (a run of whole lines) that may hold a
        match, in order; the line is data[start:end], without its line feed."""
        db = self._database()
        hs = _hyperscan()
        scratch = self._scratch(db)
        n = len(data)
        find, rfind = data.find, data.rfind
        found: list[tuple[int, int]] = []  # the lines chosen
        add = found.append
        view = memoryview(data)
        base = 0  # where the data scanned now starts: a line start
        lo = hi = -1  # the last line chosen
        dense = 0

        def on(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> bool | None:
            nonlocal lo, hi, dense
            at = base + to - 1  # the match's last byte (never empty; see the docstring)
            if lo <= at < hi:
                dense += 1
                return True if dense > DENSE else None
            lo = rfind(b"\n", 0, at) + 1
            hi = find(b"\n", at)
            if hi < 0:
                hi = n
            add((lo, hi))
            dense = 0
            return None

        while base < n:
            try:
                db.scan(view[base:] if base else data, match_event_handler=on, scratch=scratch)
                break
            except hs.ScanTerminated:
                base = hi + 1  # a line start: ^ and \b see there what they see in data
                dense = 0
        if any(a >= b for a, b in zip(found, found[1:], strict=False)):
            found = sorted(set(found))  # Hyperscan gives ends in order; this does not rely on it
        return found


def _stop(*_args: object) -> bool:
    return True
