"""The terminal's `crash` request (docs/protocol.md §5c): the terminal crashed and
hands over a report, which the recorder sanitizes, writes, records and seals
with. A mixin of `Dispatcher`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sanitize import clean
from ..session.crash import end_with_report
from ..session.review import ReviewSession
from . import messages as m
from .log import log
from .table import ENDED


class CrashRequest:
    session: ReviewSession
    state: str
    ended: str | None
    _receipt: Any
    _peer: str

    if TYPE_CHECKING:  # provided by another mixin of Dispatcher; no stub at run time

        def _stop_search_quietly(self, why: str) -> None: ...  # SearchRequests'

    def _crash(self, r: m.CrashReport) -> m._Answer:
        """The terminal crashed: end the session as the in-process terminal does
        (session.crash.end_with_report: the guard's last alerts, the crash file, a
        `crash` entry, the seal with reason `crash`, each step only if the one
        before it held), with the report sanitized under a header that says whose
        word it is. The session is over whatever failed: nothing more is served."""
        self._stop_search_quietly("end")
        details = crash_details(r.error, r.report, self._peer)
        outcome = end_with_report(self.session, clean(r.error), details, None)
        self.state, self.ended, self._receipt = ENDED, "crash", outcome.receipt
        where = outcome.crash_file
        seq, code = (-1, "") if outcome.receipt is None else (
            outcome.receipt.seq, outcome.receipt.witness.code)  # fmt: skip
        log(f"the terminal crashed ({clean(r.error)}): "
            + (f"report {where.path}" if where else f"no report: {outcome.failure}"))  # fmt: skip
        return m.Crashed(file=None if where is None else str(where.path),
                         sha256="" if where is None else where.sha256,
                         why=outcome.failure[:1024], recorded=outcome.recorded, seq=seq,
                         code=code)  # fmt: skip


def crash_details(error: str, report: str, peer: str) -> str:
    """A crash file's text from a terminal's report: a header naming whose word it
    is, then the report, every line through the sanitizer (a hostile terminal's
    report is shown to an administrator some day)."""
    lines = [f"Crash report from the reviewer terminal {peer}, over the recorder's socket.",
             "The terminal's word, unverified: frames and class names, no message, no locals.",
             f"error: {clean(error)}", ""]  # fmt: skip
    lines += [clean(line) for line in report.splitlines()]
    return "\n".join(lines) + "\n"
