"""Deterministic keys, ledgers and forgery tools for tests and test vectors.

Like python-tuf's repository simulator, this stands in for the world around the
ledger: it holds every key (including each one-use entry key, so tamper cases
can play an attacker who stole them) and rewrites rows the way an attacker with
the file would.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.ledger.clock import SteppingClock
from cleanroom.ledger.encoding import Body, decode_body, signed_message
from cleanroom.ledger.events import Event, Reviewer
from cleanroom.ledger.keys import Certificate, raw_public
from cleanroom.ledger.load import load_path
from cleanroom.ledger.writer import Ledger, Workstation

CERT_START = 1_780_000_000
CERT_END = 1_900_000_000


def seeded_key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


@dataclass
class SeededKeys:
    """A key generator that remembers every key it made, in order."""

    seed: str
    made: list[Ed25519PrivateKey] = field(default_factory=list)

    def __call__(self) -> Ed25519PrivateKey:
        key = seeded_key(f"{self.seed}/{len(self.made)}")
        self.made.append(key)
        return key

    def for_pub(self, pub: bytes) -> Ed25519PrivateKey:
        return next(k for k in self.made if raw_public(k) == pub)


@dataclass(frozen=True)
class View(Event):
    kind: ClassVar[str] = "view"
    blob: str
    first: int
    last: int


@dataclass(frozen=True)
class Alert(Event):
    kind: ClassVar[str] = "alert"
    what: str
    detail: str = ""


@dataclass
class Kit:
    """Vendor, workstation and reviewer keys with a deterministic ledger factory."""

    name: str = "kit"
    vendor: Ed25519PrivateKey = field(init=False)
    workstation: Workstation = field(init=False)
    reviewer: Ed25519PrivateKey = field(init=False)
    keys: SeededKeys = field(init=False)
    clock: SteppingClock = field(init=False)

    def __post_init__(self) -> None:
        self.vendor = seeded_key(f"{self.name}/vendor")
        ws = seeded_key(f"{self.name}/workstation")
        cert = Certificate.issue(self.vendor, "ws-01", ws.public_key(), CERT_START, CERT_END)
        self.workstation = Workstation(ws, cert)
        self.reviewer = seeded_key(f"{self.name}/reviewer")
        self.keys = SeededKeys(f"{self.name}/entries")
        self.clock = SteppingClock()

    @property
    def trust(self) -> list[bytes]:
        return [raw_public(self.vendor)]

    def reviewer_ref(self) -> Reviewer:
        return Reviewer("Ada Reviewer", "Agency", raw_public(self.reviewer).hex())

    def new_ledger(self, directory: Path, views: int = 0, **kw: Any) -> Ledger:
        ledger_id = hashlib.sha256(f"{self.name}/ledger/{directory}".encode()).digest()[:16]
        kw.setdefault("ledger_id", ledger_id)
        ledger = Ledger.create(
            Path(directory),
            self.workstation,
            self.reviewer_ref(),
            clock=self.clock,
            keygen=self.keys,
            **kw,
        )
        for i in range(views):
            ledger.append(View("ab" * 32, i * 10, i * 10 + 40))
        return ledger

    def resume(self, path: Path, reason: str = "crash") -> Ledger:
        return Ledger.resume(path, self.workstation, reason, clock=self.clock, keygen=self.keys)

    def signer_of(self, path: Path, seq: int) -> Ed25519PrivateKey:
        """The private key that must sign entry `seq` (as an attacker who stole it)."""
        row = read_rows(path)[seq - 1]
        return self.keys.for_pub(decode_body(row[1]).next_key)


# -- touching the file as an attacker would ------------------------------------


def read_rows(path: Path) -> list[tuple[int, bytes, bytes]]:
    """The committed rows, readable even while a writer holds its exclusive lock."""
    return load_path(path).rows  # type: ignore[return-value]


@contextmanager
def writable(path: Path):
    """An ordinary read-write connection to a (possibly sealed, read-only) ledger."""
    mode = os.stat(path).st_mode
    os.chmod(path, 0o644)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()
        os.chmod(path, mode)


def body_of(path: Path, seq: int) -> Body:
    return decode_body(read_rows(path)[seq][1])


def bodies_of(path: Path) -> list[Body]:
    """Every entry's decoded body, in order (one read of the file, not one a row)."""
    return [decode_body(body) for _, body, _ in read_rows(path)]


def forge(path: Path, seq: int, key: Ed25519PrivateKey | None, **changes: Any) -> None:
    """Rewrite entry `seq` with `changes` to its fields, re-signed with `key` (or keep sig)."""
    rows = read_rows(path)
    old = decode_body(rows[seq][1])
    body = replace(old, **changes).encode()
    sig = key.sign(signed_message(body)) if key is not None else rows[seq][2]
    with writable(path) as conn:
        conn.execute("UPDATE entries SET body = ?, sig = ? WHERE seq = ?", (body, sig, seq))


class FlakyDisk:
    """Wraps a ledger's SQLite connection; while `full`, inserts fail like SQLITE_FULL."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real, self.full = real, False

    def execute(self, sql: str, params: Any = ()) -> Any:
        if self.full and sql.startswith("INSERT"):
            raise sqlite3.OperationalError("database or disk is full")
        return self.real.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)
