"""The snapshot manifest: what the vendor signs (docs/snapshot-format.md §4).

The body is canonical JSON (RFC 8785, `cleanroom.ledger.encoding`), stored and
verified as exact bytes; it is never re-encoded to check the signature.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..ledger.encoding import EncodingError, canonical_json, parse_canonical
from ..ledger.keys import key_id, raw_public, verify_signature
from .chunks import MAX_SIZE, MIN_SIZE, valid_size

FORMAT = "cleanroom.snapshot.v1"
SIGN_DOMAIN = b"cleanroom:snapshot:v1\x00"
MAX_LABEL = 200
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")


class ManifestError(ValueError):
    """Manifest bytes that do not follow the format. The message says how."""


@dataclass(frozen=True)
class Index:
    tokenizer: str
    detail: str
    digest: str  # hex SHA-256 of the shadow tables (index.index_digest)


@dataclass(frozen=True)
class Chunks:
    size: int  # bytes per chunk: a power of two (chunks.valid_size)
    digest: str  # hex SHA-256 of the chunks table (chunks.digest)


@dataclass(frozen=True)
class Symbols:
    tool: str  # the ctags that found them, e.g. "Universal Ctags 5.9.0"
    rows: int  # rows in the symbols table
    digest: str  # hex SHA-256 of its rows (symbols.table.symbols_digest)


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    created: int  # unix seconds
    root: str  # hex Merkle root over the files table
    entries: int  # rows in files: the Merkle tree size
    files: int  # rows of kind 'file'
    bytes: int  # total size of those files
    skipped: int  # rows of kind 'skipped'
    blobs: int  # rows in blobs
    vendor: str  # key id of the signing key
    index: Index
    format: str = FORMAT
    chunks: Chunks | None = None  # absent from snapshots made before chunk lists (§2.1)
    symbols: Symbols | None = None  # absent from snapshots made without a symbol index

    def encode(self) -> bytes:
        return canonical_json(as_json(self))

    def sign(self, key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
        """(body, signature). Raises ManifestError if `key` is not the named vendor."""
        if key_id(raw_public(key)) != self.vendor:
            raise ManifestError("the manifest names another vendor key")
        body = self.encode()
        return body, key.sign(SIGN_DOMAIN + body)


def check_label(what: str, text: str) -> str:
    """A name or version: printable text, at most MAX_LABEL characters."""
    if not isinstance(text, str) or len(text) > MAX_LABEL or not text.isprintable():
        raise ManifestError(f"{what} must be printable text of at most {MAX_LABEL} characters")
    return text


def parse(body: bytes) -> Manifest:
    """Parse manifest bytes (no signature check). Raises ManifestError."""
    try:
        fields = parse_canonical(body)
    except EncodingError as exc:
        raise ManifestError(str(exc)) from exc
    optional = {"chunks", "symbols"}
    expected = set(Manifest.__dataclass_fields__) - optional
    if not isinstance(fields, dict) or set(fields) - optional != expected:
        raise ManifestError(
            f"manifest fields must be exactly {sorted(expected)}, and chunks and symbols"
        )
    if fields["format"] != FORMAT:
        raise ManifestError(f"unknown format {fields['format']!r}")
    index = fields["index"]
    if not isinstance(index, dict) or set(index) != {"tokenizer", "detail", "digest"}:
        raise ManifestError("manifest index must have exactly tokenizer, detail and digest")
    if not all(isinstance(v, str) for v in index.values()) or not _HEX64.fullmatch(index["digest"]):
        raise ManifestError("manifest index fields are malformed")
    for name in ("created", "entries", "files", "bytes", "skipped", "blobs"):
        if type(fields[name]) is not int or fields[name] < 0:
            raise ManifestError(f"manifest {name} must be a non-negative integer")
    if not isinstance(fields["root"], str) or not _HEX64.fullmatch(fields["root"]):
        raise ManifestError("manifest root must be 64 lowercase hex digits")
    if not isinstance(fields["vendor"], str) or not _HEX32.fullmatch(fields["vendor"]):
        raise ManifestError("manifest vendor must be a 32-hex-digit key id")
    check_label("name", fields["name"])
    check_label("version", fields["version"])
    chunks = _chunks(fields["chunks"]) if "chunks" in fields else None
    symbols = _symbols(fields["symbols"]) if "symbols" in fields else None
    return Manifest(**{**fields, "index": Index(**index), "chunks": chunks, "symbols": symbols})


def _chunks(value: Any) -> Chunks:
    if not isinstance(value, dict) or set(value) != {"size", "digest"}:
        raise ManifestError("manifest chunks must have exactly size and digest")
    if not valid_size(value["size"]):
        raise ManifestError(
            f"manifest chunks size must be a power of two from {MIN_SIZE} to {MAX_SIZE}"
        )
    if not isinstance(value["digest"], str) or not _HEX64.fullmatch(value["digest"]):
        raise ManifestError("manifest chunks digest must be 64 lowercase hex digits")
    return Chunks(**value)


def _symbols(value: Any) -> Symbols:
    if not isinstance(value, dict) or set(value) != {"tool", "rows", "digest"}:
        raise ManifestError("manifest symbols must have exactly tool, rows and digest")
    if type(value["rows"]) is not int or value["rows"] < 0:
        raise ManifestError("manifest symbols rows must be a non-negative integer")
    if not isinstance(value["digest"], str) or not _HEX64.fullmatch(value["digest"]):
        raise ManifestError("manifest symbols digest must be 64 lowercase hex digits")
    check_label("symbols tool", value["tool"])
    return Symbols(**value)


def signed_by(body: bytes, sig: bytes, vendor_raw: bytes) -> bool:
    return verify_signature(vendor_raw, sig, SIGN_DOMAIN + body)


def trusted_signer(manifest: Manifest, body: bytes, sig: bytes, trust: list[bytes]) -> bytes | None:
    """The trusted raw key whose id the manifest names and whose signature holds, else None."""
    for raw in trust:
        if key_id(raw) == manifest.vendor and signed_by(body, sig, raw):
            return raw
    return None


def snapshot_id(body: bytes) -> str:
    """The snapshot's name in ledgers: hex SHA-256 of the exact manifest bytes."""
    return hashlib.sha256(body).hexdigest()


def as_json(manifest: Manifest) -> dict[str, Any]:
    """The manifest's fields; `chunks` only when it has chunk lists, `symbols` only
    when it has a symbol index."""
    fields = asdict(manifest)
    if manifest.chunks is None:
        del fields["chunks"]
    if manifest.symbols is None:
        del fields["symbols"]
    return fields
