"""A released note's `version_hash`, recomputed from what the release publishes.

A `release` note carries every field of the `note` entry it names: its text,
kind, severity, place and, for a version recorded with one, its nonce (ADR
0409). So `version_hash` (docs/notes-release.md §2) can be recomputed from the
release alone, and a release whose released text is not the text its hash names
is refused (`RELEASE_VERSION_HASH`). A redacted or withheld note publishes no
nonce, so nothing here can test it, and neither can anyone guessing its text.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..forensics.notes import version_hash
from ..ledger.encoding import EncodingError

_FIELDS = ("note", "version", "note_kind", "severity", "title", "body", "blob", "first", "last")


def entry_payload(n: dict[str, Any]) -> dict[str, Any] | None:
    """The `note` entry payload a released note (of a valid release) publishes, or
    None if its `path_b64` is not base64 of a name that is not UTF-8 (no entry
    records a UTF-8 name that way: events.md)."""
    payload: dict[str, Any] = {k: n[k] for k in _FIELDS}
    if "path_b64" in n:
        try:
            raw = base64.b64decode(n["path_b64"], validate=True)
        except (binascii.Error, ValueError):
            return None
        try:
            raw.decode("utf-8")
            return None
        except UnicodeDecodeError:
            payload["path_b64"] = n["path_b64"]
    else:
        payload["path"] = n["path"]
    if "nonce" in n:
        payload["nonce"] = n["nonce"]
    return payload


def version_hash_problem(release: dict[str, Any]) -> str | None:
    """The first released note whose version_hash is not the hash of what the
    release publishes of it, as a sentence; None when every one is."""
    for i, n in enumerate(release["notes"]):
        if n["decision"] != "release":
            continue
        payload = entry_payload(n)
        try:
            name = None if payload is None else version_hash(payload)
        except EncodingError:
            name = None
        if name != n["version_hash"]:
            return (
                f"notes[{i}] (note {n['note']}): its version_hash is not the hash of the "
                "text, place and nonce the release gives it"
            )
    return None
