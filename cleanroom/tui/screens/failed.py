"""The end of a session that could not finish cleanly, shown in red over hidden
source. Either the seal could not be recorded (the terminal keeps retrying, and
Enter leaves the ledger unsealed, to be resumed or abandoned at the next start),
or `session_end` is recorded but the file could not be finished (the final
witness code is shown for the paper log, with where the receipt went), or the
ledger file was deleted or moved during the session (`gone`): nothing can finish
it, and the final witness code is all that is left of its end. Enter exits in
every case; every other key is swallowed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...sanitize import clean
from .locking import LockScreen


class FailedEndScreen(LockScreen):
    DEFAULT_CSS = """
    FailedEndScreen { align: center middle; background: black; }
    FailedEndScreen > Vertical { width: 80; height: auto; border: double $error; padding: 1 2; }
    FailedEndScreen .failure { color: $error; text-style: bold; }
    FailedEndScreen .code { text-style: bold; color: $warning; padding: 1 0; }
    """

    def __init__(
        self,
        reason: str,
        why: str,
        witness: str | None,
        receipt: str | None,
        gone: str | None = None,
    ) -> None:
        super().__init__()
        self.reason, self.why, self.witness, self.receipt = reason, why, witness, receipt
        self.gone = gone

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.witness is None:
                title = f"The session is ending ({clean(self.reason)}) but could not be sealed."
                after = "Source is hidden. Retrying; Enter exits and leaves it to the next start."
            elif self.gone is not None:
                title = (f"The ledger file was {clean(self.gone)} during the session: "
                         "it cannot be finished.")  # fmt: skip
                after = (
                    "Press Enter once it is written down. The ledger is not where it was: "
                    + (
                        "tell the vendor; the next start reports it missing."
                        if self.receipt
                        else "tell the vendor; the paper code is all that records this end."
                    )  # fmt: skip
                )
            else:
                title = "The session is sealed, but its ledger file could not be finished."
                after = "Press Enter once it is written down; the next start finishes the file."
            yield Static(Text(title, style="bold"), markup=False)
            yield Static(clean(self.why), classes="failure", markup=False, id="why")
            if self.witness is not None:
                yield Static("Copy the FINAL witness code into the paper log:", markup=False)
                yield Static(self.witness, classes="code", markup=False)
                where = clean(self.receipt) if self.receipt else "could not be written"
                what = "Receipt of the missing ledger" if self.gone is not None else "Receipt"
                yield Static(f"{what}: {where}", markup=False)
            yield Static(after, markup=False)

    def update_why(self, why: str) -> None:
        self.why = why  # before compose has run, compose shows it
        for widget in self.query("#why").results(Static):
            widget.update(clean(why))
