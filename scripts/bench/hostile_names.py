#!/usr/bin/env python3
"""What a vendor tree of hostile file names costs `Snapshot.open` (issue 14).

    .venv/bin/python scripts/bench/hostile_names.py               # 20,000 names, 3 runs
    .venv/bin/python scripts/bench/hostile_names.py --files 2000 --runs 5 --json

The tree: one chain of directories whose 250-byte names are ESC and quote bytes,
about 3 KB deep, holding N files whose names are the same bytes plus a number,
so every path is about 3 KB of characters the sanitizer tags. The snapshot is
built once (signed with tests/ledgerkit.py `seeded_key("v")`, no symbols) into
--cache-dir and reused. Rows: `Snapshot.open` and its files-table check
(`signed_rows.rows_problem`) alone, median and minimum of --runs runs after
one warm-up. Reports, never asserts.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))  # appended: a candidate cleanroom on PYTHONPATH is measured

from cleanroom.ledger.keys import raw_public
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.signed_rows import rows_problem
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import seeded_key

PART = (b'\x1b"' * 125)[:250]  # 250 bytes the sanitizer and HTML escaping each make longer
DEPTH = 11  # 11 directories of 250 bytes and a 250-byte file name: ~3 KB a path


def build(cache: Path, files: int) -> Path:
    out = cache / f"hostile-names-{files}.snapshot"
    if out.exists():
        return out
    src = cache / f"hostile-names-{files}-src"
    deep = os.path.join(os.fsencode(src), *([PART] * DEPTH))
    os.makedirs(deep, exist_ok=True)
    for i in range(files):
        with open(os.path.join(deep, PART[:240] + b"%06d" % i), "wb") as f:
            f.write(b"int x%d;\n" % i)
    tmp = out.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    create_snapshot(src, tmp, seeded_key("v"), "hostile-names", "1.0", created=0)
    tmp.rename(out)
    return out


def timed(fn, runs: int) -> dict[str, float]:
    fn()  # warm-up: the page cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"median_s": statistics.median(times), "min_s": min(times)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench/fix14"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    a.cache_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    path = build(a.cache_dir, a.files)
    built = time.perf_counter() - t
    trust = [raw_public(seeded_key("v").public_key())]

    def open_close() -> None:
        Snapshot.open(path, trust).close()

    def check() -> None:
        with Snapshot.open(path, trust) as snap:
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            assert rows_problem(conn, snap.manifest) is None
            conn.close()

    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    longest = conn.execute("SELECT max(length(path)) FROM files").fetchone()[0]
    conn.close()
    out = {"files": a.files, "longest_path_bytes": longest, "build_s": round(built, 1),
           "open": timed(open_close, a.runs), "open_and_rows_check": timed(check, a.runs),
           "load": os.getloadavg()}  # fmt: skip
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
