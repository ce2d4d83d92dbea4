"""What each filesystem event means (pure), including the own-access rules."""

from __future__ import annotations

import pytest

from cleanroom.guard.classify import Action, classify
from cleanroom.guard.places import Places

P = Places(
    snapshot="/srv/snap/acme.snapshot",
    ledger="/var/lib/cr/ledgers/s1.ledger",
    keys=("/etc/cr/keys",),
    media=("/media", "/mnt"),
)
L = "/var/lib/cr/ledgers"


@pytest.mark.parametrize(
    "event, path, category, action",
    [
        # the snapshot: every open is another process's (Cleanroom opened it before start)
        ("opened", "/srv/snap/acme.snapshot", "snapshot_access", Action.OPENED),
        ("modified", "/srv/snap/acme.snapshot", "snapshot_access", Action.MODIFIED),
        ("deleted", "/srv/snap/acme.snapshot", "snapshot_access", Action.DELETED),
        ("created", "/srv/snap/acme.snapshot-journal", "snapshot_access", Action.CREATED),
        ("opened", "/srv/snap/other.txt", None, None),  # a neighbour, not the snapshot
        ("closed_no_write", "/srv/snap/acme.snapshot", None, None),
        # the live ledger: opens are copies, deletes and moves tampering
        ("opened", f"{L}/s1.ledger", "ledger_copy", Action.OPENED),
        ("opened", f"{L}/s1.ledger-wal", "ledger_copy", Action.OPENED),
        ("deleted", f"{L}/s1.ledger-wal", "ledger_tamper", Action.DELETED),
        ("moved", f"{L}/s1.ledger", "ledger_tamper", Action.MOVED),
        ("created", f"{L}/s1.ledger-shm", "ledger_copy", Action.CREATED),
        # sealed ledgers and receipts beside it
        ("opened", f"{L}/s0.ledger", "ledger_copy", Action.OPENED),
        ("modified", f"{L}/s0.ledger", "ledger_tamper", Action.MODIFIED),
        ("attrib", f"{L}/s0.ledger.receipt.json", "ledger_tamper", Action.ATTRIB),
        ("deleted", f"{L}/s0.ledger.receipt.json", "ledger_tamper", Action.DELETED),
        ("created", f"{L}/copy.ledger", "ledger_copy", Action.CREATED),
        ("created", f"{L}/notes.txt", "ledger_copy", Action.CREATED),
        ("opened", f"{L}/notes.txt", None, None),
        # keys: anything at all
        ("opened", "/etc/cr/keys/workstation.key", "keys_access", Action.OPENED),
        ("attrib", "/etc/cr/keys/sub/x.cert", "keys_access", Action.ATTRIB),
        # media: writing, not reading
        ("created", "/media/ada/STICK", "media", Action.CREATED),
        ("modified", "/mnt/loot.txt", "media", Action.MODIFIED),
        ("opened", "/mnt/readme.txt", None, None),
        # failures: a watched root deleted
        ("deleted", "/etc/cr/keys", "guard_failure", Action.DELETED),
        ("deleted", "/media", "guard_failure", Action.DELETED),
        ("deleted", L, "guard_failure", Action.DELETED),
        # elsewhere
        ("opened", "/home/ada/notes.txt", None, None),
    ],
)
def test_classification(event, path, category, action):
    s = classify(event, path, False, P)
    if category is None:
        assert s is None
    else:
        assert s is not None and (s.category, s.action) == (category, action)


@pytest.mark.parametrize("event", ["modified", "attrib", "closed"])
@pytest.mark.parametrize("name", ["s1.ledger", "s1.ledger-wal"])
def test_a_write_to_the_live_ledger_is_left_to_the_stat_chain(event, name):
    assert classify(event, f"{L}/{name}", False, P) is None


def test_opens_coalesce_per_watched_thing():
    a = classify("opened", "/etc/cr/keys/a.key", False, P)
    b = classify("opened", "/etc/cr/keys/b.key", False, P)
    assert a is not None and b is not None and a.subject == b.subject == "keys /etc/cr/keys"
