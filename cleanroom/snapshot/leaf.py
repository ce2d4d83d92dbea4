"""The Merkle leaf of one `files` row: every stored field, each unambiguously framed.

    leaf = lp(path) ‖ lp(kind) ‖ u64(mode) ‖ u64(size) ‖ lp(blob) ‖ lp(target) ‖ lp(reason)
    lp(x) = u32(len(x)) ‖ x       lp(NULL) = u32(0xFFFFFFFF)

Integers are big-endian; kind and reason are UTF-8. Only `display` is left out,
because it is derived from `path` (and the verifier re-derives it).
"""

from __future__ import annotations

import struct

from .merkle import leaf_hash

LEAF_COLUMNS = "path, kind, mode, size, blob, target, reason"  # of `files`, in leaf order
NULL = b"\xff\xff\xff\xff"
MAX_FIELD = 0xFFFFFFFE
_U64 = struct.Struct(">Q")
_U32 = struct.Struct(">I")


class LeafError(ValueError):
    """A row whose fields cannot be encoded (wrong type or out of range)."""


def _lp(value: bytes | str | None) -> bytes:
    if value is None:
        return NULL
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise LeafError("text field is not valid UTF-8") from exc
    if not isinstance(value, bytes) or len(value) > MAX_FIELD:
        raise LeafError(f"field of type {type(value).__name__} cannot be framed")
    return _U32.pack(len(value)) + value


def _u64(value: object) -> bytes:
    if type(value) is not int or not 0 <= value < 2**64:
        raise LeafError(f"{value!r} is not an unsigned 64-bit integer")
    return _U64.pack(value)


def leaf_data(
    path: bytes,
    kind: str | bytes,
    mode: int,
    size: int,
    blob: bytes | None,
    target: bytes | None,
    reason: str | bytes | None,
) -> bytes:
    """Text fields may be given as str or as their UTF-8 bytes: the leaf is the same."""
    if not isinstance(path, bytes):
        raise LeafError("path must be a blob")
    return b"".join(
        (_lp(path), _lp(kind), _u64(mode), _u64(size), _lp(blob), _lp(target), _lp(reason))
    )


def row_leaf_hash(row: tuple) -> bytes:
    """Leaf hash of a (path, kind, mode, size, blob, target, reason) row."""
    return leaf_hash(leaf_data(*row))
