#!/usr/bin/env python3
"""A literal's digest records a batch at a time (`bulkbatch.records_many`), this
version against another, on the same Linux blobs in the same process: CPU only.

    .venv/bin/python scripts/bench/search_records.py return --old /path/to/bulkbatch.py
    .venv/bin/python scripts/bench/search_records.py static --old OLD --rowids 20000:32000

The text blobs of --rowids (below 4 MB, as a worker's batches hold them) are cut
into batches of about 8 MB (CHUNK_BYTES) with made-up path prefixes, and each
version makes every batch's records --runs times, alternating which goes first.
Both must give the same records (their SHA-256 is printed); the figure is the
median CPU (`time.process_time`) of a version's runs. --old is the bulkbatch.py of
the other version (`git show REV:cleanroom/snapshot/bulkbatch.py > /tmp/old.py`),
loaded as a module of this package so that its relative imports resolve here.
Snapshot: /tmp/search17b/linux.snapshot (--snapshot), read directly (no checks:
this measures CPU, it trusts nothing it reads into the product).
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import cleanroom.snapshot.bulkbatch as current
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.results import _path_part


def load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("cleanroom.snapshot._bulkbatch_old", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("text")
    ap.add_argument("--old", type=Path, required=True)
    ap.add_argument("--rowids", default="20000:32000")
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--ignore-case", action="store_true")
    ap.add_argument("--snapshot", type=Path, default=Path("/tmp/search17b/linux.snapshot"))
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.rowids.split(":"))
    conn = sqlite3.connect(f"{args.snapshot.resolve().as_uri()}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT rowid, content, line_index FROM blobs"
        " WHERE binary = 0 AND size < 4000000 AND rowid BETWEEN ? AND ?",
        (lo, hi),
    ).fetchall()
    batches: list[list[tuple[bytes, bytes, bytes]]] = [[]]
    size = 0
    for rowid, content, index in rows:
        batches[-1].append((content, _path_part(b"some/dir/file_%d.c" % rowid), index))
        size += len(content)
        if size > 8 << 20:
            batches.append([])
            size = 0
    total = sum(len(item[0]) for batch in batches for item in batch)
    print(f"{len(rows):,} blobs, {total / 1e6:.0f} MB, {len(batches)} batches; "
          f"load {os.getloadavg()}")  # fmt: skip
    matcher = Query(args.text, case=not args.ignore_case).plan().matcher
    versions = {"old": load(args.old), "this": current}
    cpu: dict[str, list[float]] = {name: [] for name in versions}
    for run in range(args.runs):
        order = list(versions.items())
        for name, module in order if run % 2 == 0 else order[::-1]:
            start = time.process_time()
            out = [module.records_many(matcher, batch) for batch in batches]
            cpu[name].append(time.process_time() - start)
            if run == 0:
                sha = hashlib.sha256(b"".join(o[0] for o in out)).hexdigest()[:16]
                print(f"{name}: {sum(o[1] for o in out):,} hits, records sha256 {sha}")
    for name, runs in cpu.items():
        print(f"{name}: median CPU {statistics.median(runs):.3f} s  "
              + " ".join(f"{x:.3f}" for x in runs))  # fmt: skip
    print(f"load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
