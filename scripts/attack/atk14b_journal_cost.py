#!/usr/bin/env python3
"""atk14b F2: what a dense -journal beside a small sealed ledger costs who-viewed's
cache: CPU of a cold query (copy, key, verify; the journal is written to the
temporary directory), of a cached one (the key hashes the journal) and of
--no-cache, medians of process time. Reports; never asserts.

    PYTHONPATH=. .venv/bin/python scripts/attack/atk14b_journal_cost.py /tmp/atk14b-journal
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from cleanroom.forensics.cache import Cache
from cleanroom.forensics.indexes import load_indexes
from tests.ledgerkit import Kit


def main(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    (root / "ev").mkdir(parents=True)
    kit = Kit("atk14b-journal-cost")
    ledger = kit.new_ledger(root / "ev", views=3)
    ledger.seal()
    ledger.close()

    def cpu(cache: Cache | None) -> float:
        start = time.process_time()
        load_indexes([ledger.path], kit.trust, cache)
        return time.process_time() - start

    for label, size in (("no journal", 0), ("64 MiB journal", 64 << 20)):
        if size:
            Path(f"{ledger.path}-journal").write_bytes(os.urandom(size))
        shutil.rmtree(root / "cache", ignore_errors=True)
        with Cache.open(root / "cache", root / "state") as cache:
            cold = cpu(cache)
            warm = statistics.median(cpu(cache) for _ in range(5))
        bare = statistics.median(cpu(None) for _ in range(3))
        print(f"{label:16} cold {cold * 1000:.0f} ms  cached {warm * 1000:.0f} ms  "
              f"no-cache {bare * 1000:.0f} ms (CPU)")  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
