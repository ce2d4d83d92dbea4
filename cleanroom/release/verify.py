"""Check a release file anywhere: its bytes and trusted vendor keys in, a verdict out.

In order (docs/notes-release.md §4): the size; strict JSON (UTF-8, no duplicate
keys, integers only, bounded depth); the envelope's shape; that the file is
exactly the canonical encoding of what it holds; that the signing key is
trusted; the signature; the release's own shape; and last that each released
note's version_hash is the hash of what the release gives of it. The first failure is
the verdict: a stable code and a sentence. Nothing here raises on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..ledger.ed25519 import verify_signature
from ..ledger.encoding import EncodingError, canonical_json
from .document import MAX_RELEASE, signed_message
from .parse import JsonRefused, read_json
from .recompute import version_hash_problem
from .shape import shape_problem

_HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class ReleaseVerdict:
    code: str  # RELEASE_OK or the first failure's code
    message: str
    release: dict[str, Any] | None = None  # only when the release is valid
    key: str | None = None  # hex of the signing key, when it is trusted

    @property
    def ok(self) -> bool:
        return self.code == "RELEASE_OK"


def verify_release(data: bytes, trust: list[bytes]) -> ReleaseVerdict:
    try:
        doc = read_json(data, MAX_RELEASE)
    except JsonRefused as exc:
        return ReleaseVerdict(f"RELEASE_{exc.code}", f"not a release: {exc}")
    if not (isinstance(doc, dict) and doc.keys() == {"release", "signature"}):
        return ReleaseVerdict(
            "RELEASE_ENVELOPE", 'not a release: the file is not {"release": ..., "signature": ...}'
        )
    sig = doc["signature"]
    if not (
        isinstance(sig, dict)
        and sig.keys() == {"key", "sig"}
        and _hex(sig["key"], 64)
        and _hex(sig["sig"], 128)
    ):
        return ReleaseVerdict(
            "RELEASE_ENVELOPE", "the signature is not {key: 64 hex, sig: 128 hex}"
        )
    try:
        canonical = canonical_json(doc) + b"\n"
    except EncodingError as exc:
        return ReleaseVerdict("RELEASE_NOT_CANONICAL", f"cannot be encoded canonically: {exc}")
    if data != canonical:
        return ReleaseVerdict(
            "RELEASE_NOT_CANONICAL",
            "the file is not in canonical form "
            "(RFC 8785 and one newline): it was edited after it was written",
        )
    key = bytes.fromhex(sig["key"])
    if key not in trust:
        return ReleaseVerdict(
            "RELEASE_UNTRUSTED_KEY",
            f"signed by key {sig['key']}, which is not a trusted vendor key (--trust)",
        )
    release = doc["release"]
    try:
        message = signed_message(release)
    except EncodingError as exc:
        return ReleaseVerdict("RELEASE_NOT_CANONICAL", f"cannot be encoded canonically: {exc}")
    if not verify_signature(key, bytes.fromhex(sig["sig"]), message):
        return ReleaseVerdict(
            "RELEASE_BAD_SIGNATURE",
            "the signature does not match the release: it was changed after signing",
        )
    problem = shape_problem(release)
    if problem is not None:
        return ReleaseVerdict("RELEASE_FORMAT", f"signed, but not a valid release: {problem}")
    problem = version_hash_problem(release)
    if problem is not None:
        return ReleaseVerdict("RELEASE_VERSION_HASH", f"signed, but {problem}")
    n = len(release["notes"])
    return ReleaseVerdict("RELEASE_OK", f"valid release of {n} notes", release, sig["key"])


def _hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and bool(_HEX.fullmatch(value))
