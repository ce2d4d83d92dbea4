"""The one place that opens a ledger for writing.

`Ledger.append` returns only once the entry is durable (WAL, synchronous=FULL,
one transaction per entry) and raises `LedgerError` otherwise, leaving the
ledger exactly as it was. Callers depend only on `append`/`seal`/`head`, so the
writer can later move into a separate recorder process unchanged.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .. import __version__
from .clock import Clock, SystemClock
from .ed25519 import verify_signature
from .encoding import (
    ZERO32,
    Body,
    EncodingError,
    countersign_message,
    decode_body,
    entry_hash,
    signed_message,
)
from .events import (
    STRUCTURAL_KINDS,
    Countersign,
    Event,
    Head,
    Reviewer,
    SessionEnd,
    SessionResume,
    SessionStart,
    SnapshotRef,
)
from .finish import GONE_RECEIPT_SUFFIX, Finished, file_id, finish_open, receipt_path
from .keys import Certificate, raw_public
from .leftovers import making_files_in, remove_leftovers
from .presigned import CountersignatureRefused, Presigned
from .schema import APPLICATION_ID, ENTRIES_DDL, RECEIPT_SUFFIX, SUFFIX, USER_VERSION
from .witness import Receipt, fsync_dir, witness_code

__all__ = ["Ledger", "LedgerError", "UnfinishedSeal", "Workstation", "receipt_path"]

KeyGen = Callable[[], Ed25519PrivateKey]


class LedgerError(Exception):
    """Recording failed: the entry is not in the ledger. The message says why."""


class UnfinishedSeal(LedgerError):
    """`session_end` *is* in the ledger (the session is over), but finishing the file
    failed; `finished` says which steps and where the receipt went, if anywhere."""

    def __init__(self, message: str, finished: Finished) -> None:
        super().__init__(message)
        self.finished = finished


@dataclass(frozen=True)
class Workstation:
    """The workstation's signing key with the vendor's certificate for it."""

    key: Ed25519PrivateKey
    cert: Certificate

    def __post_init__(self) -> None:
        if raw_public(self.key) != self.cert.key:
            raise ValueError("the workstation key does not match its certificate")


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: bytes

    @property
    def witness(self) -> str:
        return witness_code(self.hash)


class Ledger:
    """An open, unsealed session ledger. Thread-safe; one writer per file."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        ledger_id: bytes,
        clock: Clock,
        keygen: KeyGen,
        last: Appended,
        signer: Ed25519PrivateKey,
        counts: Counter[str],
        reviewer_key: str | None,
    ) -> None:
        self.path = path
        self._conn = conn
        self._file = file_id(path)  # to tell, at the seal, whether the path still names it
        self._id = ledger_id
        self._clock = clock
        self._keygen = keygen
        self._last = last
        self._signer: Ed25519PrivateKey | None = signer  # signs the next entry, then is dropped
        self._counts = counts
        self._reviewer_key = reviewer_key
        self._lock = threading.Lock()

    # -- opening ---------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        workstation: Workstation,
        reviewer: Reviewer,
        snapshot: SnapshotRef | None = None,
        prev_session: Head | None = None,
        *,
        clock: Clock | None = None,
        keygen: KeyGen = Ed25519PrivateKey.generate,
        ledger_id: bytes | None = None,
    ) -> Ledger:
        """Start a session: a new ledger file whose first entry is `session_start`.

        The file appears under its final name only once that entry is durable.
        """
        clock = clock or SystemClock()
        ledger_id = ledger_id or os.urandom(16)
        event = SessionStart(
            cert=workstation.cert.body.decode("utf-8"),
            cert_sig=workstation.cert.sig.hex(),
            reviewer=reviewer,
            snapshot=snapshot,
            prev_session=prev_session,
            software=f"cleanroom {__version__}",
        )
        wall, mono = clock.now()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(wall // 1_000_000))
        path = Path(directory) / f"{stamp}-{ledger_id.hex()[:8]}{SUFFIX}"
        tmp = path.with_name(f".{path.name}.creating")
        if path.exists():
            raise LedgerError(f"{path}: already exists")
        nxt = keygen()
        body = Body(
            0,
            ledger_id,
            ZERO32,
            wall,
            mono,
            clock.boot,
            raw_public(nxt),
            event.kind,
            event.payload(),
        ).encode()
        sig = workstation.key.sign(signed_message(body))
        remove_leftovers(Path(directory), is_leftover)
        try:
            with making_files_in(Path(directory)):
                _write_new(tmp, _first_image(body, sig))
                os.replace(tmp, path)
            fsync_dir(path.parent)
            conn = _open_for_append(path)
        except (OSError, sqlite3.Error) as exc:
            tmp.unlink(missing_ok=True)
            raise LedgerError(f"cannot create a ledger in {directory}: {exc}") from exc
        counts: Counter[str] = Counter({event.kind: 1})
        last = Appended(0, entry_hash(body, sig))
        return cls(path, conn, ledger_id, clock, keygen, last, nxt, counts, reviewer.key)

    @classmethod
    def resume(
        cls,
        path: Path,
        workstation: Workstation,
        reason: str = "crash",
        *,
        clock: Clock | None = None,
        keygen: KeyGen = Ed25519PrivateKey.generate,
    ) -> Ledger:
        """Reopen an unsealed ledger after a crash and append a signed `session_resume`.

        The one-use key that would have signed the next entry died with the
        crashed process, so the workstation key vouches for the resume, which
        every verifier reports as a discontinuity.
        """
        try:
            conn = _open_for_append(Path(path))
            rows = conn.execute("SELECT seq, body, sig FROM entries ORDER BY seq").fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: cannot reopen ledger: {exc}") from exc
        if not rows:
            conn.close()
            raise LedgerError(f"{path}: ledger has no entries")
        try:
            first = decode_body(rows[0][1])
            last_seq, last_body, last_sig = rows[-1]
            last = decode_body(last_body)
        except EncodingError as exc:
            conn.close()
            raise LedgerError(f"{path}: cannot resume, unreadable entry: {exc}") from exc
        if last.kind == "session_end":
            conn.close()
            raise LedgerError(f"{path}: ledger is sealed; nothing to resume")
        if not _started_by(first, workstation):
            conn.close()
            raise LedgerError(f"{path}: ledger was started by another workstation or key")
        counts = Counter(_kind_of(body) for _, body, _ in rows)
        reviewer_key = (first.payload.get("reviewer") or {}).get("key")
        after = Appended(last_seq, entry_hash(last_body, last_sig))
        ledger = cls(
            Path(path),
            conn,
            first.ledger,
            clock or SystemClock(),
            keygen,
            after,
            workstation.key,
            counts,
            reviewer_key,
        )
        ledger.append(SessionResume(after_seq=last_seq, after_head=after.hash.hex(), reason=reason))
        return ledger

    # -- writing ---------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._id.hex()

    @property
    def head(self) -> Head:
        return Head(self._id.hex(), self._last.seq, self._last.hash.hex())

    @property
    def last(self) -> Appended:
        return self._last

    @property
    def sealed(self) -> bool:
        return self._signer is None

    def append(self, event: Event) -> Appended:
        """Record `event`; return once it is durable. Raises LedgerError, recording nothing."""
        if event.kind in STRUCTURAL_KINDS and not isinstance(event, SessionResume):
            raise ValueError(f"{event.kind} is written by the ledger itself")
        return self._append(event.kind, event.payload())

    def _append(self, kind: str, payload: dict[str, Any], final: bool = False) -> Appended:
        with self._lock:
            if self._signer is None:
                raise LedgerError("the ledger is sealed or closed")
            wall, mono = self._clock.now()
            nxt = None if final else self._keygen()
            seq = self._last.seq + 1
            try:
                body = Body(
                    seq,
                    self._id,
                    self._last.hash,
                    wall,
                    mono,
                    self._clock.boot,
                    ZERO32 if nxt is None else raw_public(nxt),
                    kind,
                    payload,
                ).encode()
            except EncodingError as exc:
                raise LedgerError(f"cannot encode {kind} event: {exc}") from exc
            sig = self._signer.sign(signed_message(body))
            self._insert(seq, body, sig)
            self._last = Appended(seq, entry_hash(body, sig))
            self._signer = nxt  # the key that signed this entry is gone
            self._counts[kind] += 1
            return self._last

    def _insert(self, seq: int, body: bytes, sig: bytes) -> None:
        try:
            self._conn.execute(
                "INSERT INTO entries (seq, body, sig) VALUES (?, ?, ?)", (seq, body, sig)
            )
        except sqlite3.Error as exc:
            # An I/O error can be reported after the commit reached the disk. If
            # the exact row is there, it was recorded; otherwise it was not.
            try:
                row = self._conn.execute(
                    "SELECT body, sig FROM entries WHERE seq = ?", (seq,)
                ).fetchone()
            except sqlite3.Error:
                row = None
            if row != (body, sig):
                raise LedgerError(f"{self.path}: entry {seq} not recorded: {exc}") from exc

    def seal(
        self, reason: str = "reviewer", countersigner: Ed25519PrivateKey | Presigned | None = None
    ) -> Receipt:
        """Append `session_end`, then finish the file (`finish.finish_open`): checkpoint
        the WAL away, make the file read-only and write the receipt beside it. Returns
        the receipt. Raises LedgerError (nothing sealed) or UnfinishedSeal (sealed,
        the file not finished: `finish.finish` completes it later)."""
        with self._lock:
            seq, prev = self._last.seq + 1, self._last.hash
            counts = dict(sorted(self._counts.items()))
        countersign = None
        if isinstance(countersigner, Presigned):
            countersign = self._checked(countersigner, countersign_message(self._id, seq, prev))
        elif countersigner is not None:
            pub = raw_public(countersigner).hex()
            if pub != self._reviewer_key:
                raise ValueError("countersigning key is not the reviewer key named at start")
            sig = countersigner.sign(countersign_message(self._id, seq, prev))
            countersign = Countersign(key=pub, sig=sig.hex())
        end = SessionEnd(reason=reason, entries=seq, by_kind=counts, countersign=countersign)
        last = self._append(end.kind, end.payload(), final=True)
        receipt = Receipt(self._id.hex(), last.seq, last.hash.hex())
        with self._lock:
            finished = finish_open(self._conn, self.path, receipt, self._file)
        if finished.failed:
            raise UnfinishedSeal(finished.describe(self.path), finished)
        return receipt

    def seal_message(self) -> bytes:
        """The bytes a countersignature of a seal appended next signs (a `Presigned`
        one must sign exactly these: nothing may be appended in between)."""
        with self._lock:
            return countersign_message(self._id, self._last.seq + 1, self._last.hash)

    def _checked(self, presigned: Presigned, message: bytes) -> Countersign:
        """A countersignature made elsewhere, checked against the reviewer key named
        at start. Raises CountersignatureRefused."""
        if self._reviewer_key is None:
            raise CountersignatureRefused("the session_start names no reviewer key")
        if not verify_signature(bytes.fromhex(self._reviewer_key), presigned.sig, message):
            raise CountersignatureRefused(
                "the countersignature does not verify under the reviewer key named at start"
            )
        return Countersign(key=self._reviewer_key, sig=presigned.sig.hex())

    def close(self) -> None:
        """Release the file without sealing it (it can be resumed or abandoned later)."""
        with self._lock:
            self._signer = None
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()


def _first_image(body: bytes, sig: bytes) -> bytes:
    """The bytes of a ledger file holding only entry 0, made in memory and marked
    as in WAL mode already (header bytes 18 and 19 are 2): no rollback journal is
    ever written beside the file, neither to make it nor to switch it to WAL."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {USER_VERSION}")
        conn.execute(ENTRIES_DDL)
        conn.execute("INSERT INTO entries (seq, body, sig) VALUES (0, ?, ?)", (body, sig))
        image = bytearray(conn.serialize())
    finally:
        conn.close()
    image[18:20] = b"\x02\x02"  # the file format's read and write versions: WAL
    return bytes(image)


def _write_new(path: Path, data: bytes) -> None:
    """Write `data` durably to the new file `path` (removing a stale one first)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def is_leftover(name: str) -> bool:
    """A temporary file the writer makes in a ledger directory: a ledger being
    created (and, from older releases, its rollback journal) or a receipt being
    written. Only a killed writer leaves one (`leftovers.remove_leftovers`)."""
    creating = name.startswith(".") and (
        name.endswith(f"{SUFFIX}.creating") or name.endswith(f"{SUFFIX}.creating-journal")
    )
    receipt = name.endswith((f"{SUFFIX}{RECEIPT_SUFFIX}.tmp", f"{SUFFIX}{GONE_RECEIPT_SUFFIX}.tmp"))
    return creating or receipt


def _open_for_append(path: Path) -> sqlite3.Connection:
    if not os.access(path, os.W_OK):
        raise sqlite3.OperationalError(f"{path} is read-only (sealed?)")
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # Exclusive: no second process may append to (and so fork) this chain.
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        conn.close()
        raise sqlite3.OperationalError(f"cannot switch {path} to WAL (got {mode})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("BEGIN IMMEDIATE")  # take the lock now, not at the first append
    conn.execute("COMMIT")
    return conn


def _started_by(first: Body, workstation: Workstation) -> bool:
    """True when `first` was started under a certificate for this workstation's id
    and key: a renewed certificate for the same key may resume it (the verifier
    checks the resume against the key in the session's own certificate)."""
    try:
        cert = Certificate.parse(
            str(first.payload.get("cert")).encode(), bytes.fromhex(str(first.payload["cert_sig"]))
        )
    except (KeyError, ValueError):  # EncodingError is a ValueError
        return False
    ours = workstation.cert
    return cert.workstation == ours.workstation and cert.key == ours.key


def _kind_of(body: bytes) -> str:
    n = body[128] if len(body) > 128 else 0
    return body[129 : 129 + n].decode("ascii", "replace")
