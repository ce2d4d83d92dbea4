"""The reviewer's seal (docs/protocol.md §5b): `seal`, and, where the reviewer's
key is the terminal's own, the countersignature over the socket (ADR 0214).

When the recorder is configured with the reviewer's *public* key
([recorder] reviewer_public_key), a `seal` with reason `reviewer` settles the
session (the guard stopped, its last alerts recorded), then answers
`countersign`: the exact bytes `session_end` will carry a countersignature over
(docs/ledger-format.md). The session is then in state `countersign`, where
nothing that records is served, so those bytes stay the ones to sign. The
terminal signs them with the reviewer's key and sends `countersignature`; the
recorder verifies it under the configured key before writing it into
`session_end`. A signature that does not verify, an empty one (the terminal
holds no key), none within COUNTERSIGN_SECONDS, or a terminal that leaves
first: the refusal is recorded (`refused`, reason `countersign`) and the
session is sealed without the countersignature, which the verifier reports as
NOT_COUNTERSIGNED. A mixin of `Dispatcher`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..ledger.presigned import CountersignatureRefused, Presigned
from ..session.events import Refused
from ..session.recorder import RecordingError, SealUnfinished
from ..session.review import ReviewSession
from . import messages as m
from .log import log
from .table import COUNTERSIGN, ENDED

COUNTERSIGN_SECONDS = 30.0  # how long a seal waits for the terminal's countersignature


class SealRequests:
    session: ReviewSession
    state: str
    ended: str | None
    countersigner: object  # the reviewer's private key, where the room keeps it here
    reviewer_key: str | None  # the reviewer's public key (hex), where the terminal signs
    _receipt: Any
    _unfinished: m.Unfinished | None
    _countersign_by: float  # monotonic deadline for the countersignature

    if TYPE_CHECKING:  # provided by another mixin of Dispatcher; no stub at run time

        def _stop_search(self, why: str) -> None: ...  # SearchRequests'

    def _seal(self, r: m.Seal) -> m._Answer:
        reason = "reviewer" if r.reason == "reviewer" else "terminal"
        self._stop_search("seal")
        if reason == "reviewer" and self.reviewer_key is not None:
            message = self.session.seal_message()  # RecordingError: answered `failed`
            self.state = COUNTERSIGN
            self._countersign_by = time.monotonic() + COUNTERSIGN_SECONDS
            return m.Countersign(message=message, key=self.reviewer_key,
                                 seconds=COUNTERSIGN_SECONDS)  # fmt: skip
        # Countersigned only when the reviewer asked for the seal (docs/verdict.md).
        return self._sealed(self.countersigner if reason == "reviewer" else None)

    def _countersignature(self, r: m.Countersignature) -> m._Answer:
        if not r.sig:
            return self._without("the terminal holds no reviewer key")
        try:
            return self._sealed(Presigned(bytes(r.sig)))
        except CountersignatureRefused as exc:
            return self._without(str(exc))

    def countersign_overdue(self) -> None:
        """From the server's tick: past the deadline, seal without."""
        if self.state == COUNTERSIGN and time.monotonic() >= self._countersign_by:
            self._quietly(f"no countersignature within {COUNTERSIGN_SECONDS:g} s")

    def countersign_abandoned(self) -> None:
        """The terminal left while the seal waited for it: seal without (the reviewer
        asked for the seal, whatever `on_client_lost` says)."""
        if self.state == COUNTERSIGN:
            self._quietly("the terminal left before it countersigned")

    def _quietly(self, why: str) -> None:
        try:
            self._without(why)
        except RecordingError:
            pass  # ended all the same (`status` says it was not sealed)
        log(f"sealed without the reviewer's countersignature: {why}")

    def _without(self, why: str) -> m._Answer:
        """Record the refused countersignature, then seal without one."""
        try:
            self.session.recorder.record(Refused("countersignature", "countersign", why[:200]))
        except RecordingError:
            self.state, self.ended = ENDED, "reviewer"
            raise
        return self._sealed(None)

    def _sealed(self, countersigner: object) -> m._Answer:
        """Seal with reason `reviewer`. Raises RecordingError (nothing sealed),
        CountersignatureRefused (nothing sealed, nothing recorded)."""
        try:
            receipt = self.session.seal(countersigner, "reviewer")
        except SealUnfinished as exc:  # `session_end` is written: the session is over
            self.state, self.ended, self._receipt = ENDED, "reviewer", exc.finished.receipt
            self._unfinished = unfinished_answer(exc)
            return self._unfinished
        except RecordingError:
            if self.state == COUNTERSIGN:  # nothing more can be recorded of it
                self.state, self.ended = ENDED, "reviewer"
            raise
        self.state, self.ended, self._receipt = ENDED, "reviewer", receipt
        return m.Sealed(seq=receipt.seq, code=receipt.witness.code,
                        countersigned=countersigner is not None)  # fmt: skip


def unfinished_answer(exc: SealUnfinished) -> m.Unfinished:
    f = exc.finished
    where = None if f.receipt_path is None else str(f.receipt_path)
    return m.Unfinished(why=str(exc)[:4000], seq=f.receipt.seq, code=f.receipt.witness.code,
                        receipt_path=where, gone=f.gone)  # fmt: skip
