"""RFC 6962 Merkle tree hashes and inclusion proofs (RFC 6962 §2.1).

    MTH({})      = SHA-256()
    MTH({d0})    = SHA-256(0x00 ‖ d0)
    MTH(D[n])    = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])),  k the largest power of 2 < n

The 0x00/0x01 prefixes keep a leaf from ever being read as an interior node
(second-preimage confusion). Functions take leaf *hashes* so a caller can
stream leaves without keeping their data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def empty_root() -> bytes:
    return hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf hashes, streaming: keeps only the O(log n) perfect subtrees of
    the prefix read so far (a compact range), then folds them right to left, which
    builds exactly the RFC's tree (tests check it against `_mth`)."""
    stack: list[tuple[int, bytes]] = []  # (leaf count, hash) of perfect subtrees
    for leaf in leaves:
        size, h = 1, leaf
        while stack and stack[-1][0] == size:
            left = stack.pop()[1]
            size, h = size * 2, node_hash(left, h)
        stack.append((size, h))
    if not stack:
        return empty_root()
    h = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        h = node_hash(left, h)
    return h


def _mth(leaves: Sequence[bytes]) -> bytes:
    """The RFC's recursive definition, kept as the reference for `root`."""
    if not leaves:
        return empty_root()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 6962 §2.1.1: sibling hashes from the leaf upwards."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_proof(leaves[:k], index) + [_mth(leaves[k:])]
    return inclusion_proof(leaves[k:], index - k) + [_mth(leaves[:k])]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_: bytes
) -> bool:
    """True when `proof` shows leaf hash `leaf` at `index` of the tree of `size` with `root_`
    (the algorithm of RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if len(p) != HASH_SIZE or sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_
