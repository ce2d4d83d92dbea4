"""Notes out of the room: a small real-C snapshot, ledgers holding notes written by
the real writer with the real `Note`/`NoteWithdraw` events, and the key files the
`cleanroom notes` commands take."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cleanroom.ledger.encoding import canonical_json
from cleanroom.ledger.keys import Role, write_private_key
from cleanroom.session.events import Note, NoteWithdraw
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit
from tests.tamper_cases import head_of

RING_C = b"""// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded ring of frames shared with the device.
 */
#include <linux/slab.h>
#include "ring.h"

static int frob_ring_reserve_slots(struct frob_ring *ring, unsigned int count)
{
\tunsigned long flags;
\tint ret = 0;

\tspin_lock_irqsave(&ring->lock, flags);
\tif (ring->head - ring->tail + count > ring->size) {
\t\tret = -ENOSPC;
\t\tgoto out;
\t}
\tring->head += count;
out:
\tspin_unlock_irqrestore(&ring->lock, flags);
\treturn ret;
}

int frob_ring_copy_from_user(struct frob_ring *ring, const void __user *buf, size_t len)
{
\tif (copy_from_user(ring->frames + ring->head, buf, len))
\t\treturn -EFAULT;
\treturn frob_ring_reserve_slots(ring, len / FROB_FRAME_SIZE);
}
"""
RING_H = b"""#ifndef FROB_RING_H
#define FROB_RING_H
#define FROB_FRAME_SIZE 64
struct frob_ring {
\tspinlock_t lock;
\tunsigned int head, tail, size;
\tchar *frames;
};
int frob_ring_copy_from_user(struct frob_ring *ring, const void __user *buf, size_t len);
#endif"""  # no trailing newline
MAIN_C = b"""#include <stdio.h>
int main(void)
{
\tprintf("hello\\n");
\treturn 0;
}
"""
FILES = {
    b"drivers/frob/ring.c": RING_C,
    b"drivers/frob/ring.h": RING_H,
    b"tools/main.c": MAIN_C,
    b"drivers/frob/empty.c": b"",
    b"drivers/frob/one.c": b"x",
    b"blob.bin": b"\x00\x01\x02frob_ring_reserve_slots\x00" * 10,
}

# 50 characters of ring.c, as a reviewer pastes them: re-indented, one line.
QUOTE = "if (ring->head - ring->tail + count > ring->size) { ret = -ENOSPC;"
DESCRIBES = (
    "The reserve function compares the distance between head and tail with the size "
    "of the ring, but the addition can wrap around when count is large, so the check "
    "passes and the head moves beyond the frames the device owns."
)


def note(
    n: int,
    body: str,
    *,
    version: int = 1,
    title: str = "",
    path: bytes = b"drivers/frob/ring.c",
    kind: str = "finding",
    severity: str = "high",
    first: int = 13,
    last: int = 16,
    nonce: str | None = None,
) -> Note:
    """A note as the session records it: with a nonce (ADR 0409), fixed per note and
    version so the kit's ledgers repeat; `nonce=""`: as a ledger from before, without."""
    if nonce is None:
        nonce = hashlib.sha256(b"noteskit nonce %d %d" % (n, version)).hexdigest()[:32]
    return Note(
        path,
        f"{n:032x}",
        version,
        kind,
        severity if kind == "finding" else "",
        title or f"note {n}",
        body,
        "ab" * 32,
        first,
        last,
        nonce,
    )


def ledger_with(
    kit: Kit, directory: Path, events: list, seal: bool = True, prev: Path | None = None
) -> Path:
    """A real ledger in `directory` holding `events`, sealed unless told not to; the
    next session of the workstation after the ledger `prev` when given."""
    directory.mkdir(parents=True, exist_ok=True)
    ledger = kit.new_ledger(directory, prev_session=None if prev is None else head_of(prev))
    for event in events:
        ledger.append(event)
    path = ledger.path
    if seal:
        ledger.seal()
    else:
        ledger.close()
    return path


def setup(kit: Kit, tmp: Path, events: list) -> dict[str, Path]:
    """Snapshot, one sealed ledger with `events`, trust and vendor key files."""
    keys = tmp / "keys"
    keys.mkdir(exist_ok=True)
    vendor_key = keys / "vendor.key"
    if not vendor_key.exists():
        write_private_key(vendor_key, kit.vendor, role=Role.VENDOR_ROOT)
    return {
        "snapshot": make_snapshot(kit, tmp / "snap", files=FILES),
        "ledger": ledger_with(kit, tmp / "ledgers", events),
        "trust": trust_file(kit, keys),
        "vendor_key": vendor_key,
    }


@pytest.fixture(autouse=True)
def notes_cache_dir(tmp_path_factory, monkeypatch) -> Path:
    """The name-table cache of `cleanroom notes` (ADR 0402) in a private directory of
    the test session, never the user's; imported by the notes test modules."""
    directory = tmp_path_factory.getbasetemp() / "notes-cache"
    monkeypatch.setenv("CLEANROOM_CACHE_DIR", str(directory))
    return directory


__all__ = [
    "Note",
    "NoteWithdraw",
    "note",
    "ledger_with",
    "notes_cache_dir",
    "setup",
    "QUOTE",
    "DESCRIBES",
]


def published_payload(n: dict, **guess: str) -> dict:
    """The `note` entry payload as far as the release publishes it: every field but
    the nonce for a redacted note, with the guessed text in place of the redacted."""
    payload = {
        "path": n["path"], "note": n["note"], "version": n["version"],
        "note_kind": n["note_kind"], "severity": n["severity"], "title": n["title"],
        "body": n["body"], "blob": n["blob"], "first": n["first"], "last": n["last"],
    }  # fmt: skip
    if "nonce" in n:
        payload["nonce"] = n["nonce"]
    return {**payload, **guess}


def name_of(payload: dict) -> str:
    return hashlib.sha256(b"cleanroom:note-version:v1\x00" + canonical_json(payload)).hexdigest()
