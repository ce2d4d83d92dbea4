"""What a long-lived reader of a snapshot keeps resident (issue 13: the recorder
held 1.5 GB of the Linux snapshot before any request, and its first restart
in a new ledger directory checked the index again).

The checks that read a whole table at start (the files table at open, the
search index once per file, ADR 0104; the file list and index facts search
reads once) go through SQLite's page cache, not the memory map, so none of
what they read stays resident in the process: measured here as the resident
size of the snapshot's mapping in /proc/self/smaps, a count of pages, not a
time. And the index check's record is kept even when the ledger directory is
made by that first start."""

from __future__ import annotations

import os
from pathlib import Path

from cleanroom.cli.review import open_snapshot
from cleanroom.session.index_check import CHECKS_DIR, ensure_index_checked, identity
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.search import prepare
from cleanroom.snapshot.store import Snapshot

FILES = 1500  # distinct contents: an index of several MB


def build(kit, directory: Path) -> Path:
    src = directory / "tree"
    for i in range(FILES):
        target = src / f"d{i % 20}" / f"f{i}.c"
        target.parent.mkdir(parents=True, exist_ok=True)
        words = " ".join(f"w{i}_{j}_{(i * j) % 997}" for j in range(300))
        target.write_text(f"/* file {i} */\n{words}\nint f{i}(void) {{ return {i}; }}\n")
    out = directory / "many.snapshot"
    create_snapshot(src, out, kit.vendor, name="many", version="1", created=1)
    return out


def resident(path: Path) -> int:
    """Bytes of `path`'s mappings resident in this process."""
    total, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                inside = len(head) >= 6 and head[5] == str(path)
            elif inside and head[0] == "Rss:":
                total += int(head[1]) * 1024
    return total


def test_the_snapshot_is_big_enough_for_these_tests_to_fail(kit, tmp_path):
    snap = build(kit, tmp_path)
    assert os.path.getsize(snap) > 8 << 20
    with Snapshot.open(snap, kit.trust) as snapshot:
        for _ in snapshot._conn.execute("SELECT * FROM search_data"):  # through the map
            pass
        assert resident(snap.resolve()) > 4 << 20  # what the map keeps when read through it


def test_opening_and_checking_keeps_nothing_of_the_file_resident(kit, tmp_path, ledger_dir):
    snap = build(kit, tmp_path).resolve()
    before = identity(snap)
    with Snapshot.open(snap, kit.trust) as snapshot:
        opened = resident(snap)
        assert ensure_index_checked(snapshot, before, ledger_dir) is True  # reads all the index
        checked = resident(snap)
        prepare(snapshot)  # the file list and the index facts
        prepared = resident(snap)
        assert snapshot.stat(b"d0/f0.c").size > 0  # the map serves reads again
    assert opened < 256 << 10, opened
    assert checked < 256 << 10, checked
    assert prepared < 256 << 10, prepared


def test_a_first_start_that_makes_the_ledger_directory_remembers_the_check(kit, tmp_path):
    snap = build(kit, tmp_path)
    ledgers = tmp_path / "new" / "ledgers"  # made by this start (--create-ledger-dir)
    source, _, _ = open_snapshot(snap, kit.trust, ledgers)
    source.snapshot.close()
    assert len(list((ledgers / CHECKS_DIR).iterdir())) == 1
    before = identity(snap)
    with Snapshot.open(snap, kit.trust) as snapshot:
        assert ensure_index_checked(snapshot, before, ledgers) is False  # the restart skips it
