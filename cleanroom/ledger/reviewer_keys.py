"""Known reviewer keys: the anchor a countersignature is checked against.

The reviewer key a ledger names is written under the workstation key, so whoever
holds that key can name a key of their own and countersign with it. Only a key
the verifier's user brings from outside the workstation (`verify --reviewer-key`,
`--reviewer-keys`) shows who countersigned (docs/adr/0007-anchored-reviewer-keys.md).

A list file (`--reviewer-keys`) is UTF-8 text, one key per line:

    # comment
    KEY [NAME]

KEY is a raw Ed25519 public key as 64 hex characters (the form ledgers store), or
the path of a public key file (`reviewer.pub`), relative to the list file. NAME,
the rest of the line, is how the key is shown. Blank lines and lines starting
with `#` are ignored. Anything else is refused with the line's number.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from .keys import KeyFileError, Role, key_id, load_public_key

MAX_LIST_FILE = 1024 * 1024
MAX_NAME = 200
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class ReviewerKey:
    """A reviewer public key known from outside the workstation."""

    raw: bytes  # 32 bytes
    name: str | None  # how the user called it: a name from the list, or a file

    @property
    def key_id(self) -> str:
        return key_id(self.raw)

    def to_json(self) -> dict[str, object]:
        return {"key_id": self.key_id, "name": self.name}


def from_public_key_file(path: Path) -> ReviewerKey:
    """A `--reviewer-key` file: a PEM public key, named by its path. Raises KeyFileError,
    also for a key file of another role (a workstation key is exactly what must not
    vouch for a countersignature); a file from before key roles is accepted (ADR 0008)."""
    return ReviewerKey(_reviewer_public(path), str(path))


def load_list(path: Path) -> list[ReviewerKey]:
    """Read a `--reviewer-keys` file. Raises KeyFileError (a usage error, exit 2) for a
    file that cannot be read, is not UTF-8, is over 1 MiB, holds no key, or has a
    line that is not `KEY [NAME]`, names a key twice or names an unreadable key file."""
    try:  # non-blocking: a FIFO in the list's place is refused, not waited on
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise KeyFileError(f"{path}: not a regular file")
            data = f.read(MAX_LIST_FILE + 1)
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_LIST_FILE:
        raise KeyFileError(f"{path}: over {MAX_LIST_FILE} bytes; not a list of reviewer keys")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    keys: list[ReviewerKey] = []
    seen: dict[bytes, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        key = _parse_line(path, number, line.removesuffix("\r"))
        if key is None:
            continue
        if key.raw in seen:
            raise KeyFileError(
                f"{path}, line {number}: key {key.key_id} is already on line {seen[key.raw]}"
            )
        seen[key.raw] = number
        keys.append(key)
    if not keys:
        raise KeyFileError(f"{path}: no reviewer keys in it (expected lines of KEY [NAME])")
    return keys


def _parse_line(path: Path, number: int, line: str) -> ReviewerKey | None:
    stripped = line.strip(" \t")
    if not stripped or stripped.startswith("#"):
        return None
    where = f"{path}, line {number}"
    if not stripped.replace("\t", " ").isprintable():
        raise KeyFileError(f"{where}: holds a control or unprintable character")
    token, _, rest = stripped.replace("\t", " ").partition(" ")
    name = rest.strip() or None
    if name is not None and len(name) > MAX_NAME:
        raise KeyFileError(f"{where}: the name is over {MAX_NAME} characters")
    if _HEX_KEY.fullmatch(token):
        return ReviewerKey(bytes.fromhex(token), name)
    key_file = path.parent / token
    try:
        raw = _reviewer_public(key_file)
    except KeyFileError as exc:
        raise KeyFileError(
            f"{where}: expected KEY [NAME], where KEY is 64 hex characters or a public key "
            f"file ({exc})"
        ) from exc
    return ReviewerKey(raw, name or token)


def _reviewer_public(path: Path) -> bytes:
    return load_public_key(path, role=Role.REVIEWER, unmarked_ok=True).public_bytes_raw()
