#!/usr/bin/env python3
"""What a vendor tree of hostile file names costs `Snapshot.open` (issue 14).

    .venv/bin/python scripts/bench/hostile_names.py               # 20,000 names, 3 runs
    .venv/bin/python scripts/bench/hostile_names.py --files 2000 --runs 5 --json

The tree: one chain of directories whose 250-byte names are ESC and quote bytes,
about 3 KB deep, holding N files whose names are the same bytes plus a number,
so every path is about 3 KB of characters the sanitizer tags. The snapshot is
built once (signed with tests/ledgerkit.py `seeded_key("v")`, no symbols) into
--cache-dir and reused. Rows: `Snapshot.open` (wall and CPU seconds, median and
minimum of --runs runs after one warm-up open), then a first search with a path
glob (which derives each path's display once, `catalog.Displays`) and one
without (only its hits'). To measure older code, put its tree first on
PYTHONPATH (the script appends this checkout). Reports, never asserts.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))  # appended: a candidate cleanroom on PYTHONPATH is measured

import cleanroom
from cleanroom.ledger.keys import raw_public
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import search
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


def timed(fn, runs: int, warm: bool = True) -> dict[str, float]:
    if warm:
        fn()  # warm-up: the page cache
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"median_s": round(statistics.median(wall), 3), "min_s": round(min(wall), 3),
            "cpu_median_s": round(statistics.median(cpu), 3)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench/fix14"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--open-only", action="store_true", help="time only Snapshot.open")
    a = ap.parse_args()
    a.cache_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    path = build(a.cache_dir, a.files)
    built = time.perf_counter() - t
    trust = [raw_public(seeded_key("v").public_key())]

    def open_close() -> None:
        Snapshot.open(path, trust).close()

    out: dict[str, object] = {"cleanroom": cleanroom.__file__, "files": a.files,
                              "build_s": round(built, 1)}  # fmt: skip
    out["open"] = timed(open_close, a.runs)
    if not a.open_only:
        with Snapshot.open(path, trust) as snap:
            glob = Query("int x1", include=("**/*1",))
            out["first_glob_search"] = timed(lambda: list(search(snap, glob).hits()), 1, False)
        with Snapshot.open(path, trust) as snap:
            plain = Query("int x1;")
            out["first_plain_search"] = timed(lambda: list(search(snap, plain).hits()), 1, False)
    out["load"] = os.getloadavg()
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
