"""Whose session a resumed ledger is: the account of its last `client_connect` or
`client_resume` entry. After a restart the recorder serves a resumed session
only to that account (docs/protocol.md §8), as it did before the restart."""

from __future__ import annotations

from pathlib import Path

from ..ledger.encoding import EncodingError, decode_body
from ..ledger.load import load_path

_CLIENT_KINDS = ("client_connect", "client_resume")


def owner_of(path: Path) -> int | None:
    """The uid the ledger last admitted, or None if it names none (a session of
    `cleanroom review`, or one no terminal ever connected to)."""
    for row in reversed(load_path(path).rows):
        try:
            body = decode_body(row[1])
        except EncodingError:
            continue
        if body.kind in _CLIENT_KINDS:
            uid = body.payload.get("uid")
            if isinstance(uid, int) and not isinstance(uid, bool):
                return uid
    return None
