"""Receipts whose ledger is not in the ledger directory: a session's evidence gone.

A seal whose ledger file was deleted or moved during the session writes its
receipt as `<ledger>.gone.receipt.json` (`ledger.finish`); a receipt written
beside a sealed ledger that was later deleted or moved away is left behind as
`<ledger>.receipt.json`. Either way the directory holds a receipt for a ledger
id no `.ledger` file in it has, and the next session start says so (and records
it), so a missing ledger never goes unmentioned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..ledger.finish import GONE_RECEIPT_SUFFIX
from ..ledger.schema import RECEIPT_SUFFIX, SUFFIX
from ..ledger.witness import Receipt, WitnessError


@dataclass(frozen=True)
class MissingLedger:
    """A receipt in the ledger directory whose ledger is not there."""

    receipt_path: Path
    receipt: Receipt
    gone_during_session: bool  # written by a seal that found its ledger gone

    @property
    def ledger_name(self) -> str:
        name = self.receipt_path.name
        suffix = GONE_RECEIPT_SUFFIX if self.gone_during_session else RECEIPT_SUFFIX
        return name[: -len(suffix)]

    def describe(self) -> str:
        when = "during its session" if self.gone_during_session else "after its seal"
        return (
            f"the ledger {self.ledger_name} (id {self.receipt.ledger}) is missing: it was "
            f"deleted or moved {when}; its receipt {self.receipt_path.name} gives its final "
            f"witness code {self.receipt.seq}:{self.receipt.code}"
        )


def missing_ledgers(directory: Path, present: Iterable[str]) -> list[MissingLedger]:
    """Receipts in `directory` for a ledger id not in `present` (the ids of the
    ledgers found there), sorted by name. An unreadable receipt is skipped here:
    `cleanroom verify --receipt` is where receipts are judged."""
    have = set(present)
    out = []
    for path in sorted(Path(directory).glob(f"*{SUFFIX}*{RECEIPT_SUFFIX}")):
        gone = path.name.endswith(f"{SUFFIX}{GONE_RECEIPT_SUFFIX}")
        if not gone and not path.name.endswith(f"{SUFFIX}{RECEIPT_SUFFIX}"):
            continue
        try:
            receipt = Receipt.load(path)
        except WitnessError:
            continue
        beside = path.with_name(path.name[: -len(RECEIPT_SUFFIX)])  # a receipt's ledger
        if receipt.ledger not in have and (gone or not beside.is_file()):
            out.append(MissingLedger(path, receipt, gone))
    return out
