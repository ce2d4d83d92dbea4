"""`Presigned`: a countersignature of the seal made elsewhere, by the reviewer's own
key in the reviewer's own process (the terminal, docs/protocol.md §5b and ADR 0214),
over `Ledger.seal_message()`. The ledger checks it against the reviewer key its
`session_start` names before it writes it into `session_end`
(docs/ledger-format.md, "session_end"): the format is the one a countersignature
made here has."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Presigned:
    sig: bytes  # Ed25519, 64 bytes


class CountersignatureRefused(ValueError):
    """The countersignature does not verify under the reviewer key named at start
    (or no reviewer key was named): nothing is sealed by this call."""
