"""Witness codes (a head hash a person can copy onto paper) and seal receipts."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .leftovers import making_files_in

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_CHARS = 28  # 140 bits
RECEIPT_FORMAT = "cleanroom.receipt.v1"
RECEIPT_FIELDS = {"format", "ledger", "seq", "head", "witness"}
_LEDGER_ID = re.compile(r"[0-9a-f]{32}")
_HASH = re.compile(r"[0-9a-f]{64}")
_READ_MAP = {"I": "1", "L": "1", "O": "0"}


class WitnessError(ValueError):
    """A witness code, `SEQ:CODE` pair or receipt that cannot be read."""


def witness_code(entry_hash: bytes) -> str:
    """The first 140 bits of `entry_hash` in Crockford base32, grouped by four."""
    bits = int.from_bytes(entry_hash, "big")
    total = len(entry_hash) * 8
    chars = [ALPHABET[(bits >> (total - 5 * (i + 1))) & 31] for i in range(CODE_CHARS)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, CODE_CHARS, 4))


def normalize_code(text: str) -> str:
    """Canonical form of a code as a person may have copied it. Raises WitnessError."""
    chars = [_READ_MAP.get(c, c) for c in text.upper() if c not in "- "]
    if len(chars) != CODE_CHARS or any(c not in ALPHABET for c in chars):
        raise WitnessError(f"not a witness code: {text!r} (expected {CODE_CHARS} base32 chars)")
    return "-".join("".join(chars[i : i + 4]) for i in range(0, CODE_CHARS, 4))


@dataclass(frozen=True)
class Witness:
    """A claim that entry `seq` has the hash that `code` was taken from."""

    seq: int
    code: str
    source: str  # where the claim came from, for messages

    @classmethod
    def parse(cls, text: str) -> Witness:
        m = re.fullmatch(r"\s*(\d{1,18})\s*:\s*(.+?)\s*", text)
        if not m:
            raise WitnessError(f"expected SEQ:CODE, got {text!r}")
        return cls(int(m.group(1)), normalize_code(m.group(2)), f"witness {text.strip()}")

    def matches(self, entry_hash: bytes) -> bool:
        return witness_code(entry_hash) == self.code


@dataclass(frozen=True)
class Receipt:
    """Written beside a sealed ledger: its id and head, to be kept off the workstation."""

    ledger: str  # hex id, lowercase
    seq: int
    head: str  # hex entry hash, lowercase
    code: str = ""  # its `witness`, normalized; given empty, the code of `head`

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", witness_code(bytes.fromhex(self.head)))

    def matches(self, entry_hash: bytes) -> bool:
        """True when both the head and the witness code name `entry_hash` (spec §5.1 step 6)."""
        return entry_hash.hex() == self.head and witness_code(entry_hash) == self.code

    @property
    def witness(self) -> Witness:
        return Witness(self.seq, self.code, "receipt")

    def to_json(self) -> str:
        doc = {
            "format": RECEIPT_FORMAT,
            "ledger": self.ledger,
            "seq": self.seq,
            "head": self.head,
            "witness": self.code,
        }
        return json.dumps(doc, indent=1) + "\n"

    def write(self, path: Path) -> None:
        """Write atomically and durably (temp file, fsync, rename, fsync the directory)."""
        tmp = path.with_name(path.name + ".tmp")
        # A writer killed here leaves the .tmp: the next session start removes it.
        with making_files_in(path.parent):
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(self.to_json())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        fsync_dir(path.parent)

    @classmethod
    def load(cls, path: Path) -> Receipt:
        """Read a receipt file (spec §4). Raises WitnessError (a usage error, exit 2)
        unless it has exactly the five fields: the format, a 32-character ledger id
        and a 64-character head in lowercase hex, a seq that is a non-negative integer
        (not a boolean) and a witness that reads as a witness code."""
        try:
            with open(path, "rb") as f:
                data = f.read(64 * 1024)
            doc = json.loads(data)
        except (OSError, ValueError, RecursionError) as exc:
            raise WitnessError(f"{path}: unreadable receipt ({exc})") from exc
        if not isinstance(doc, dict) or doc.get("format") != RECEIPT_FORMAT:
            raise WitnessError(f"{path}: not a cleanroom receipt")
        seq, head, ledger, code = (doc.get(k) for k in ("seq", "head", "ledger", "witness"))
        well_formed = (
            set(doc) == RECEIPT_FIELDS
            and type(seq) is int
            and seq >= 0
            and isinstance(ledger, str)
            and _LEDGER_ID.fullmatch(ledger) is not None
            and isinstance(head, str)
            and _HASH.fullmatch(head) is not None
            and isinstance(code, str)
        )
        if not well_formed:
            raise WitnessError(f"{path}: malformed receipt (spec: docs/ledger-format.md §4)")
        return cls(ledger, seq, head, normalize_code(code))


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
