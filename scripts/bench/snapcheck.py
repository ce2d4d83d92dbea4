#!/usr/bin/env python3
"""What checking that the reviewer sees what the vendor signed costs (docs/adr/0104).

    .venv/bin/python scripts/bench/snapcheck.py            # Linux snapshot and a 1M-line file
    .venv/bin/python scripts/bench/snapcheck.py --quick    # only the 1M-line file
    .venv/bin/python scripts/bench/snapcheck.py --json     # JSON on stdout, table on stderr

Rows (each the median and the minimum of --runs runs, after one warm-up run, so
the page cache is warm; the machine is shared, so read medians):

- start-up: `Snapshot.open` with and without the files-table check against the
  signed root (`signed_rows.rows_problem`), and that check alone;
- index, first start on a snapshot file: `Snapshot.index_problem` (the signed
  index digest); later starts: `ensure_index_checked` finding its record;
- first open of a file: `SnapshotSource.open` with and without the content
  check (`content.content_problem`), on a fresh source each run so the check
  is not cached; and a second open of the same file (cached);
- search: vetting the kept hits of a query (each hit file's content check and
  each hit's line compared with the checked content), on a fresh source.

The Linux snapshot is /tmp/linuxsrc/linux.snapshot, signed with
tests/ledgerkit.py `seeded_key("v")` (build it with scripts/bench/search.py).
The 1M-line snapshot is built once into --cache-dir. Reports, never asserts.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))  # appended: a candidate cleanroom on PYTHONPATH is measured

import cleanroom
import cleanroom.session.snapshot_source as snapshot_source
import cleanroom.snapshot.store as store
from cleanroom.ledger.keys import raw_public
from cleanroom.session.index_check import ensure_index_checked, identity
from cleanroom.session.review import ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.search import KEPT, PAGE, Query, search
from cleanroom.snapshot.signed_rows import rows_problem
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import seeded_key

LINUX = Path("/tmp/linuxsrc/linux.snapshot")
LINUX_FILES = [  # a typical file, and the largest text file (24 MB, 222,893 lines)
    b"kernel/sched/core.c",
    b"drivers/gpu/drm/amd/include/asic_reg/dcn/dcn_3_2_0_sh_mask.h",
]
MILLION = b"million.py"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def timed(fn: Callable[[], object], runs: int) -> dict[str, float]:
    fn()  # warm-up
    seconds = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t)
    return {"median_s": statistics.median(seconds), "min_s": min(seconds), "runs": runs}


def million(cache: Path) -> Path:
    out = cache / "million.snapshot"
    if not out.exists():
        log(f"building {out} (a 1,000,000-line file) ...")
        src = cache / "million-src"
        src.mkdir(parents=True, exist_ok=True)
        (src / MILLION.decode()).write_bytes(
            b"".join(b"value_%d = %d  # line %d\n" % (i, i, i + 1) for i in range(1_000_000))
        )
        create_snapshot(src, out, seeded_key("bench-snapcheck"), "million", "1")
    return out


def without(module: object, name: str, replacement: object) -> Callable[[Callable], Callable]:
    """Run a function with `module.name` replaced: the code before the check."""

    def wrap(fn: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            real = getattr(module, name)
            setattr(module, name, replacement)
            try:
                return fn()
            finally:
                setattr(module, name, real)

        return run

    return wrap


def measure(
    label: str, path: Path, trust: list[bytes], files: list[bytes], runs: int, query: str
) -> dict:
    rows: dict[str, dict[str, float]] = {}
    log(f"-- {label}: {path}")

    def open_close() -> None:
        Snapshot.open(path, trust).close()

    rows["open, with the rows check"] = timed(open_close, runs)
    rows["open, without it"] = timed(
        without(store, "rows_problem", lambda *_: None)(open_close), runs
    )
    with Snapshot.open(path, trust) as snapshot:
        conn = snapshot._conn  # the same connection open uses
        rows["rows check alone"] = timed(lambda: rows_problem(conn, snapshot.manifest), runs)
        index_runs = max(1, runs // 2)
        rows["index digest (first start per file)"] = timed(snapshot.index_problem, index_runs)
        with tempfile.TemporaryDirectory() as ledgers:
            before = identity(path)
            ensure_index_checked(snapshot, before, Path(ledgers))
            rows["index record found (later starts)"] = timed(
                lambda: ensure_index_checked(snapshot, identity(path), Path(ledgers)), runs
            )
        facts = {}
        for file in files:
            name = file.decode()

            def first_open(file: bytes = file) -> None:
                SnapshotSource(snapshot, path).open(file)

            rows[f"first open of {name}, with the content check"] = timed(first_open, runs)
            rows[f"first open of {name}, without it"] = timed(
                without(snapshot_source, "content_problem", lambda *_: None)(first_open), runs
            )
            source = SnapshotSource(snapshot, path)
            source.open(file)
            rows[f"second open of {name} (check cached)"] = timed(
                lambda source=source, file=file: source.open(file),
                runs,
            )
            info = snapshot.stat(file)
            facts[name] = {"size": info.size, "lines": snapshot.blob(info.blob).lines}
        q = Query(query, regex=False, case=True, include=[], exclude=[])
        with search(snapshot, q) as s:
            pages = -(-min(s.total(), KEPT) // PAGE)  # what a session keeps and vets
            hits = [h for n in range(pages) for h in s.page(n)]

        def vet() -> None:
            fresh = SnapshotSource(snapshot, path)
            ReviewSession._vet(_Vetting(fresh), hits)  # type: ignore[arg-type]

        rows[f"vet {len(hits)} hits of {query!r} ({len({h.path for h in hits})} files)"] = timed(
            vet, runs
        )
    for name, r in rows.items():
        log(f"{name:90s} median {r['median_s'] * 1000:10.2f} ms   min {r['min_s'] * 1000:10.2f} ms")
    return {"snapshot": str(path), "files": facts, "rows": rows}


class _Vetting:
    """Just what `ReviewSession._vet` uses: the source, and a `blocked` that records nothing."""

    def __init__(self, source: SnapshotSource) -> None:
        self.source = source

    def blocked(self, action: str, detail: str = "") -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 1M-line file")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench/snapcheck"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    log(f"cleanroom from {Path(cleanroom.__file__).parent}")
    out = {"format": "cleanroom.bench.snapcheck.v1", "results": []}
    m = million(args.cache_dir)
    trust = [raw_public(seeded_key("bench-snapcheck"))]
    out["results"].append(measure("1M-line file", m, trust, [MILLION], args.runs, "line 99999"))
    if not args.quick:
        if LINUX.exists():
            trust = [raw_public(seeded_key("v"))]
            out["results"].append(measure("Linux 6.1", LINUX, trust, LINUX_FILES, args.runs,
                                          "spin_lock_irqsave"))  # fmt: skip
        else:
            log(f"{LINUX} is missing: build it with scripts/bench/search.py")
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
