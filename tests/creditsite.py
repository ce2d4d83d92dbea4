"""Sites whose files claim one session more than once: a prefix of an honest
ledger (copied while it was live) and a fork (two branches signed with the same
session keys, made by two kits of one seed). Real ledgers, real keys (ADR 0308)."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

A = b"src/a.c"
FILES = {A: b"".join(b"int a%d;\n" % i for i in range(100))}
LEDGER_ID = hashlib.sha256(b"ada").digest()[:16]


def _views(blob: str, firsts: list[int]) -> list:
    return [FileOpen(A, blob, len(FILES[A]), 100)] + [
        View(A, blob, first, first + 19, 0, 80) for first in firsts
    ]


def build(
    root: Path, name: str, firsts: list[int], ledger_dir: Path, copy_after: int | None = None
):
    """One sealed session viewing a.c at `firsts` (20 lines each), by a fresh kit
    seeded by `name` (two calls with one name sign the same entries). With
    `copy_after`, the live file is copied after that many events (root/prefix.ledger)."""
    kit = Kit(name)
    snap = make_snapshot(kit, root / "snap", files=FILES)
    trust = trust_file(kit, root)
    with Snapshot.open(snap, kit.trust) as s:
        ref, blob = SnapshotRef(s.id, s.manifest.root), s.stat(A).blob.hex()
    ledger_dir.mkdir(parents=True, exist_ok=True)
    led = Ledger.create(ledger_dir, kit.workstation, replace(kit.reviewer_ref(), name="Ada"), ref,
                        None, clock=kit.clock, keygen=kit.keys, ledger_id=LEDGER_ID)  # fmt: skip
    for i, event in enumerate(_views(blob, firsts), 1):
        led.append(event)
        if i == copy_after:
            led._conn.execute("PRAGMA wal_checkpoint(FULL)")
            shutil.copyfile(led.path, root / "prefix.ledger")
    led.seal(countersigner=kit.reviewer)
    return {"snap": snap, "trust": trust, "ledger": led.path, "root": root}
