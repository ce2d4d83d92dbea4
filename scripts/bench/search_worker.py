#!/usr/bin/env python3
"""One search worker's share of a pass on every core, run in this process, its CPU
split by part: for A/B of the scan code on a loaded machine.

    .venv/bin/python scripts/bench/search_worker.py return
    .venv/bin/python scripts/bench/search_worker.py '[0-9a-f]{8}-[0-9a-f]{4}' --regex
    .venv/bin/python scripts/bench/search_worker.py '~' --runs 5

`scripts/bench/search.py` times whole searches against ripgrep; at a load of 15 on
2 cores its wall times move by 20-30 % between runs of the same code, more than
most changes to the scan. Here the work of one worker (`scanworkers._run`) runs
in this process, on the chunks worker --worker of 2 gets for the pass
`search.total()` makes (the files of the head left out, as there), and every
figure is CPU time (`time.process_time`, user + system of this process):

- total: the whole `_run`, from its connection to its last chunk;
- read: fetching the blobs out of SQLite (`_rows`);
- records: a literal's hits found and made records in batches (`records_many`),
  of which indexed: numpy's line numbers and records (`bulkbatch._indexed`);
- the rest: the index's answer, the loop over blobs, the hits made whole.

Each run prints the hits, the bytes of the records the worker sends and their
SHA-256: two versions of the code must print the same. Measure another version
from its own directory (`cd that && PYTHONPATH=. python .../search_worker.py`):
the code imported is the first `cleanroom` on the path. The query's pass is
assumed to run on every core (a literal the index names in most files, or a
query the index cannot narrow); for one that does not, the share is still
measured, as if it did. Linux 6.1 snapshot with the byte presence table:
/tmp/search17b/linux.snapshot (--snapshot), signed with `seeded_key("v")`.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))  # appended: a candidate cleanroom on PYTHONPATH is measured

from cleanroom.ledger.keys import raw_public
from cleanroom.snapshot import bulkbatch, scanworkers
from cleanroom.snapshot.candidates import index_facts
from cleanroom.snapshot.catalog import catalog
from cleanroom.snapshot.narrowing import chosen_blobs
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import KEPT, checked_connection
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import seeded_key

SNAPSHOT = Path("/tmp/search17b/linux.snapshot")


class Out:
    """The worker's queue: counts and hashes what it is sent."""

    def __init__(self) -> None:
        self.hits = 0
        self.size = 0
        self.sha = hashlib.sha256()

    def put(self, msg: tuple) -> None:
        if msg[0] == "error":
            raise SystemExit(f"worker error: {msg[1]}")
        self.hits += msg[2].count
        self.size += len(msg[2].data)
        self.sha.update(msg[2].data)


class Flag:
    def __init__(self, value: bool) -> None:
        self.value = value

    def is_set(self) -> bool:
        return self.value


def timed(parts: dict[str, float], module: Any, name: str, key: str) -> None:
    """Wrap module.name so that its CPU time adds up in parts[key]."""
    inner = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            parts[key] = parts.get(key, 0.0) + time.process_time() - start

    setattr(module, name, wrapper)


def job_for(snapshot: Snapshot, query: Query, worker: int) -> scanworkers.Job:
    conn = checked_connection(snapshot)
    files = catalog(snapshot, conn)
    plan = query.plan()
    order = scanworkers.text_files(snapshot, conn, files)
    named = None
    if plan.index is not None:
        named = (plan.index, index_facts(snapshot, conn, files).truncated)
    else:
        facts = lambda: index_facts(snapshot, conn, files)  # noqa: E731
        chosen = chosen_blobs(snapshot, conn, files, plan, facts, lambda: None)
        if chosen is not None:
            order = [ref for ref in order if ref[1] in chosen[0]]
    _first, rest, start = scanworkers.head(order, files.sizes)
    dealt = scanworkers.chunked(rest, files.sizes, 2, start)
    text = (query.text, query.regex, query.case)
    return scanworkers.Job(str(snapshot.path), snapshot.manifest_bytes, text, KEPT,
                           dealt[worker], named)  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("text")
    ap.add_argument("--regex", action="store_true")
    ap.add_argument("--ignore-case", action="store_true")
    ap.add_argument("--worker", type=int, choices=(0, 1), default=0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = ap.parse_args()
    snapshot = Snapshot.open(args.snapshot, [raw_public(seeded_key("v"))])
    query = Query(args.text, regex=args.regex, case=not args.ignore_case)
    job = job_for(snapshot, query, args.worker)
    print(f"cleanroom from {Path(scanworkers.__file__).parents[1]}; load {os.getloadavg()}")
    parts: dict[str, float] = {}
    timed(parts, scanworkers, "_rows", "read")
    timed(parts, scanworkers, "records_many", "records")
    timed(parts, bulkbatch, "_indexed", "indexed")
    runs: list[dict[str, float]] = []
    for _ in range(args.runs):
        parts.clear()
        out = Out()
        start = time.process_time()
        # told "enough" from the start: past the first KEPT hits, as in a long pass
        scanworkers._run(job, out, Flag(False), Flag(True))
        parts["total"] = time.process_time() - start
        parts["rest"] = parts["total"] - parts.get("read", 0.0) - parts.get("records", 0.0)
        runs.append(dict(parts))
        print(f"hits {out.hits:,}  records {out.size:,} B  sha256 {out.sha.hexdigest()[:16]}  "
              + "  ".join(f"{k} {v:.3f}" for k, v in sorted(parts.items())))  # fmt: skip
    keys = sorted({k for r in runs for k in r})
    medians = {k: statistics.median(r.get(k, 0.0) for r in runs) for k in keys}
    print("median CPU s: " + "  ".join(f"{k} {v:.3f}" for k, v in medians.items()))
    print(f"load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
