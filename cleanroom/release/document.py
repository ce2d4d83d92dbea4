"""The release file: a signed envelope around the release object.

The file is the RFC 8785 canonical JSON of
`{"release": RELEASE, "signature": {"key": HEX, "sig": HEX}}` and one newline.
`sig` is Ed25519 by the vendor key `key` over `DOMAIN` followed by the canonical
JSON of RELEASE (docs/notes-release.md §3). The ledger's canonical encoder makes
both, so there is one way to write a release and one set of bytes to check.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..ledger.encoding import canonical_json
from ..ledger.keys import raw_public

FORMAT = "cleanroom.notes-release.v1"
DOMAIN = b"cleanroom:notes-release:v1\x00"
# Bytes. About 4,000 notes of 16 KiB of plain text fit, but only ~680 whose bodies are
# 16,384 control characters (each escaped in six bytes): `notes release` refuses to
# write a bigger file rather than one no verifier reads (atk16).
MAX_RELEASE = 64 << 20


def signed_message(release: dict[str, Any]) -> bytes:
    return DOMAIN + canonical_json(release)


def envelope(release: dict[str, Any], key: bytes, sig: bytes) -> bytes:
    doc = {"release": release, "signature": {"key": key.hex(), "sig": sig.hex()}}
    return canonical_json(doc) + b"\n"


def sign_release(release: dict[str, Any], vendor: Ed25519PrivateKey) -> bytes:
    """The bytes of the release file for `release`, signed by `vendor`."""
    return envelope(release, raw_public(vendor), vendor.sign(signed_message(release)))
