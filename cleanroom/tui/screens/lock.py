"""A lock raised by guard alerts: the screen shows no source until the reviewer
acknowledges with Enter. Every other key is swallowed (`LockScreen`).

One screen holds every alert that locks until the unlock (ADR 0220): an alert
that comes while it is up is added to it, never left behind it. Enter records
the unlock first and lifts the lock only once it is recorded (fail closed: the
screen stays, saying why, and Enter tries again). The unlock says up to which
alert number the screen was drawn (`shown`), so the one Enter never lifts a
lock whose alert the reviewer has not been shown: an alert added just before
the Enter was drawn after it is refused (`held`), and the next Enter lifts it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...sanitize import clean
from .locking import LockScreen
from .once import ClosesOnce

LISTED = 6  # alerts written out; the earlier ones are counted by category
ROW = 76 - 2 - 4  # cells in a row of the box: its width less its border and padding


def one_row(line: str) -> str:
    """`line` cut to one row of the box, an ellipsis where it was cut."""
    return line if cell_len(line) <= ROW else set_cell_size(line, ROW - 1) + "\u2026"


FAILED, HELD = "failed", "held"  # why an Enter did not unlock


@dataclass(frozen=True)
class Refused:
    """Why the unlock did not happen: FAILED (not recorded, `why`) or HELD (an alert
    holding the lock was not drawn yet)."""

    kind: str
    why: str = ""


# Records the unlock of a lock up since the time given, naming the alerts drawn up
# to the number given. None once recorded; else why not (the lock stays up).
Acknowledge = Callable[[float, int], "Refused | None"]


class AlertLockScreen(ClosesOnce, LockScreen):
    DEFAULT_CSS = """
    AlertLockScreen { align: center middle; background: black; }
    AlertLockScreen > Vertical { width: 76; height: auto; border: double $error; padding: 1 2; }
    AlertLockScreen #said.refused { color: $error; }
    """

    def __init__(self, acknowledge: Acknowledge, since: float) -> None:
        super().__init__()
        self._acknowledge = acknowledge
        self.since = since  # when the lock came (its `locked_s`)
        self.alerts: list[tuple[int, str, str]] = []  # (number, category, detail), oldest first
        self._undrawn: set[int] = set()  # listed, not drawn yet
        self._numbers: set[int] = set()  # every number listed
        self.unrecorded: str | None = None  # why the last alert is not recorded yet
        self.refused: Refused | None = None  # why the last Enter did not unlock

    def add(self, number: int, category: str, detail: str, unrecorded: str | None) -> None:
        """An alert that locks: listed here (drawn, then counted as shown). One
        handed again (a reconnection, ADR 0220) is listed once."""
        if number and number in self._numbers:
            return
        self.alerts.append((number, category, detail))
        self._numbers.add(number)
        self._undrawn.add(number)
        self.unrecorded = unrecorded
        if self.refused is not None and self.refused.kind == HELD:
            self.refused = None  # what held it is listed now: the next Enter may lift it
        if self.is_mounted:
            self._redraw()

    def all_recorded(self) -> None:
        """The guard's alerts are all in the ledger now (a failure ended)."""
        if self.unrecorded is not None:
            self.unrecorded = None
            if self.is_mounted:
                self._redraw()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_said(), style="bold"), id="title", markup=False)
            yield Static(self.alerts_said(), id="alerts", markup=False)
            yield Static(self.said(), id="said", markup=False)

    def on_mount(self) -> None:
        self._drawn_after_refresh()

    def on_resize(self) -> None:
        self._drawn_after_refresh()  # a box cut by a small terminal may fit now

    def _redraw(self) -> None:
        self.query_one("#title", Static).update(Text(self.title_said(), style="bold"))
        self.query_one("#alerts", Static).update(self.alerts_said())
        said = self.query_one("#said", Static)
        said.update(self.said())
        said.set_class(self.refused is not None, "refused")
        self._drawn_after_refresh()

    def _drawn_after_refresh(self) -> None:
        self.call_after_refresh(self._drawn, set(self._numbers))

    def _drawn(self, numbers: set[int]) -> None:
        """Drawn, and on the screen: a box cut by the terminal's bottom edge showed
        not every alert it lists (atk12b), so nothing it lists counts as shown."""
        if self.region.contains_region(self.query_one(Vertical).region):
            self._undrawn -= numbers

    @property
    def shown(self) -> int:
        """Every alert listed with a number up to this has been drawn: what an Enter
        acknowledges. An alert listed late, below one drawn, lowers it until drawn."""
        if self._undrawn:
            return max(0, min(self._undrawn) - 1)  # never below what the protocol takes
        return max((n for n, _, _ in self.alerts), default=0)

    @property
    def drawn(self) -> bool:
        """Every alert it lists has been drawn (what an Enter may acknowledge)."""
        return not self._undrawn

    def title_said(self) -> str:
        n = len(self.alerts)
        return "Locked by the guard" + (f": {n} alerts" if n > 1 else "")

    def alerts_said(self) -> Text:
        """One row an alert (a long detail is cut with an ellipsis: the ledger holds
        it whole), so the box's height does not grow with what an alert says."""
        lines = [f"{clean(c)}: {clean(d)}" for _, c, d in self.alerts[-LISTED:]]
        earlier = self.alerts[:-LISTED]
        if earlier:
            tally = Counter(c for _, c, _ in earlier).most_common()
            named = ", ".join(f"{clean(c)} x{k}" for c, k in tally)
            lines.insert(0, f"and {len(earlier)} earlier ({named}), all in the ledger:")
        return Text("\n".join(one_row(line) for line in lines))

    def said(self) -> str:
        """Only what is true: whether the alerts (or the unlock) are recorded."""
        if self.refused is not None and self.refused.kind == FAILED:
            return (f"Still locked: the unlock could not be recorded ({clean(self.refused.why)}). "
                    "Press Enter to try again.")  # fmt: skip
        if self.refused is not None:
            return ("Still locked: an alert holding this lock had not been shown yet when "
                    "Enter came. Read the alerts above, then press Enter.")  # fmt: skip
        if self.unrecorded is not None:
            return (f"NOT recorded yet: {clean(self.unrecorded)}. It is kept and recorded once "
                    "recording works. Press Enter to continue.")  # fmt: skip
        if len(self.alerts) > 1:
            return "These have been recorded. Press Enter to acknowledge them all."
        return "This has been recorded. Press Enter to continue."

    def unlock(self) -> None:
        """Enter: the unlock is recorded, then the lock lifts; or it stays, saying why."""
        refused = self._acknowledge(self.since, self.shown)
        if refused is None:
            self.dismiss()
            return
        self.refused = refused
        self._redraw()
