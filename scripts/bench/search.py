#!/usr/bin/env python3
"""Snapshot search against ripgrep, on the same files in the same run.

    .venv/bin/python scripts/bench/search.py            # Linux 6.1 (about 79k files, 1.3 GB)
    .venv/bin/python scripts/bench/search.py --quick    # the Python 3.11 standard library
    .venv/bin/python scripts/bench/search.py --json     # JSON on stdout, table on stderr

Targets (from issue 3; reported, never asserted):

- rare literal: at least 10x faster than `rg -j2`;
- medium literal (about 20k hits): at least 2x faster;
- a regex with a required literal (`\\bmalloc\\s*\\(`): faster than ripgrep;
- the first page of 100 hits of any query, including a literal with about a
  million hits: within 100 ms.

"ours" is `search(snapshot, query).total()`: every hit found, with its line text
and the digest, in a fresh Search on an open snapshot whose file list is already
read (that one-off cost, "first search after open", is reported on its own row).
The peer is `rg -j2 --no-ignore --hidden -n` over the extracted tree, output to
/dev/null: the same files (ripgrep also skips binary files and follows no
links). For a first page, ours is `page(0)` and the peer is the time until
ripgrep has written 100 lines to a pipe. Each figure is the median of --runs
runs (--long-runs for a case whose warm-up took over LONG seconds, so that the
whole table fits one run) after one warm-up run (so the page cache is warm); ours and the peer
alternate, and the order flips between runs. Ratio is peer / ours. Hit counts
come from one extra `rg -c` run; ripgrep's \\b, \\s and -i are Unicode where ours
are ASCII, so a count may differ slightly.

CPU time is shown beside each wall time (ours: this process plus the search's
worker processes, as they report it; ripgrep: its user + system time): on this
shared 2-core machine wall times move with the load, CPU times much less.

Memory: per case, this process's peak anonymous memory (RssAnon: the heap, not
the snapshot's memory-mapped pages, which are page cache) while one search runs,
sampled every 2 ms in an extra untimed run (worker processes not included: each
holds a chunk of at most 8 MB and its hits); ripgrep's peak RSS (GNU time's %M,
one extra run). Also the process's RSS with the snapshot open and its file list
read, and its peak RSS (ru_maxrss, which includes mapped snapshot pages). A
snapshot built by this run is built first and the script then restarts itself,
so that the build's memory is not counted.

Trees: the Linux tree is /tmp/linuxsrc/linux-source-6.1 with its snapshot
/tmp/linuxsrc/linux.snapshot, signed with tests/ledgerkit.py `seeded_key("v")`.
If the tree is missing it is extracted from Debian's linux-source-6.1
(/usr/src/linux-source-6.1.tar.xz, installed with apt-get if needed); if the
snapshot is missing it is built (about 4 minutes). --quick uses the Python
standard library at --stdlib, snapshotted once into --cache-dir (about a minute).
"""

# The imports below follow the sys.path line that makes tests.ledgerkit importable.
# ruff: noqa: E402

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))  # appended: a candidate cleanroom on PYTHONPATH is measured

import cleanroom
from cleanroom.ledger.keys import raw_public
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.search import Query, prepare, search
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import seeded_key

SEED = "v"  # the vendor key of the Linux snapshot, and of those this script builds
LINUX_DIR = Path("/tmp/linuxsrc")
LINUX_TREE = LINUX_DIR / "linux-source-6.1"
LINUX_SNAPSHOT = LINUX_DIR / "linux.snapshot"
LINUX_TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
STDLIB = Path("/root/.pyenv/versions/3.11.7/lib/python3.11")
LONG = 10.0  # seconds: a case whose warm-up took longer is timed --long-runs times


@dataclass(frozen=True)
class Case:
    name: str
    query: Query
    first_page: bool = False  # measure page(0) instead of total()
    target: str = ""
    within: float | None = None  # measure first_page(within) instead (the hits found by then)


def cases(quick: bool) -> list[Case]:
    if quick:
        rare, medium, regex, common = "_check_hostname", "__init__", r"\bgetattr\s*\(", "self"
        classes, one, two, optional = r"[0-9a-f]{8}-[0-9a-f]{4}", "~", "Jq", r"(?i)get_?attr\("
    else:
        rare, medium = "ieee80211_radiotap_iterator_init", "spin_lock_irqsave"
        regex, common = r"\bmalloc\s*\(", "return"
        # Issue 17's classes: no literal of three bytes (a UUID's shape: 338 hits), a
        # one-byte literal (C's bitwise not, ~75k hits), a two-byte literal with one hit
        # in the tree, a case-insensitive regex with an optional character in its literal
        classes, one, two = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", "~", "Jq"
        optional = r"(?i)spin_?lock_irqsave"
    # a rare regex of classes only (hex runs of an MD5's length: 1,169 lines of Linux)
    rare_classes = r"[0-9a-f]{32}" if not quick else r"[0-9a-f]{40}"
    return [
        Case("rare literal", Query(rare), target=">= 10x"),
        Case("medium literal", Query(medium), target=">= 2x"),
        Case("regex", Query(regex, regex=True), target="> 1x"),
        Case("case-insensitive literal", Query(medium.upper(), case=False)),
        Case("common literal, all hits", Query(common), target=">= 1x"),
        Case("regex, no 3-byte literal", Query(classes, regex=True), target=">= 1x"),
        Case("one-byte literal", Query(one), target=">= 1x"),
        Case("two-byte literal, 1 hit", Query(two), target=">= 1x"),
        Case("ci regex, optional char", Query(optional, regex=True), target=">= 1x"),
        Case("regex, rare class-only", Query(rare_classes, regex=True), target=">= 1x"),
        Case("first page: rare", Query(rare), True, "<= 100 ms"),
        Case("first page: medium", Query(medium), True, "<= 100 ms"),
        Case("first page: regex", Query(regex, regex=True), True, "<= 100 ms"),
        Case("first page: common", Query(common), True, "<= 100 ms"),
        Case("first page: no 3-byte lit", Query(classes, regex=True), True, "<= 100 ms"),
        Case("first page: one byte", Query(one), True, "<= 100 ms"),
        Case("first page: two bytes", Query(two), True, "<= 100 ms"),
        Case("first page: ci optional", Query(optional, regex=True), True, "<= 100 ms"),
        Case("first page: rare classes", Query(rare_classes, regex=True), True, "<= 100 ms"),
        # what the terminal could show at once: the hits found within 0.1 s (fewer than 100)
        Case("within 0.1 s: no 3-byte", Query(classes, regex=True), True, "<= 100 ms", 0.1),
        Case(
            "within 0.1 s: rare classes", Query(rare_classes, regex=True), True, "<= 100 ms", 0.1
        ),  # fmt: skip
    ]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- trees and snapshots ------------------------------------------------------------------


def linux(snapshot: Path = LINUX_SNAPSHOT) -> tuple[Path, Path]:
    if not (LINUX_TREE / "Makefile").is_file():
        if not LINUX_TARBALL.exists():
            log("installing linux-source-6.1 (apt-get)")
            subprocess.run(["apt-get", "install", "-y", "linux-source-6.1"], check=True)
        LINUX_DIR.mkdir(parents=True, exist_ok=True)
        log(f"extracting {LINUX_TARBALL} to {LINUX_DIR}")
        subprocess.run(["tar", "-xf", str(LINUX_TARBALL), "-C", str(LINUX_DIR)], check=True)
    if not snapshot.exists():
        build(LINUX_TREE, snapshot, "linux", "6.1")
    return LINUX_TREE, snapshot


def stdlib(tree: Path, cache: Path) -> tuple[Path, Path]:
    out = cache / "search-python-stdlib.snapshot"
    if not out.exists():
        cache.mkdir(parents=True, exist_ok=True)
        build(tree, out, "python-stdlib", platform.python_version())
    return tree, out


def build(tree: Path, out: Path, name: str, version: str) -> None:
    """Build the snapshot, then start this script afresh (clean memory figures)."""
    log(f"building {out} from {tree} (once; cached for later runs)")
    t0 = time.perf_counter()
    create_snapshot(tree, out, seeded_key(SEED), name, version)
    log(f"  built in {time.perf_counter() - t0:.0f} s; restarting")
    os.execv(sys.executable, [sys.executable, *sys.argv])


# -- measuring ------------------------------------------------------------------------------


def has_presence(path: Path) -> bool:
    """Whether the snapshot file holds the byte presence table (ADR 0112)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'presence'"
        ).fetchone()
    finally:
        conn.close()
    return found is not None


def rg_args(query: Query) -> list[str]:
    args = ["rg", "-j2", "--no-ignore", "--hidden", "--no-messages", "-n"]
    args += [] if query.regex else ["-F"]
    args += [] if query.case else ["-i"]
    return [*args, "-e", query.text, "."]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_rg(tree: Path, query: Query, first_page: bool) -> tuple[float, float]:
    """(wall, CPU) seconds of one ripgrep run."""
    c0, t0 = children_cpu(), time.perf_counter()
    if not first_page:
        subprocess.run(rg_args(query), cwd=tree, stdout=subprocess.DEVNULL, check=False)
        return time.perf_counter() - t0, children_cpu() - c0
    with subprocess.Popen(rg_args(query), cwd=tree, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        for _ in range(100):
            if not proc.stdout.readline():
                break
        elapsed = time.perf_counter() - t0
        proc.kill()
    return elapsed, children_cpu() - c0


def rg_hits(tree: Path, query: Query) -> int:
    args = [a for a in rg_args(query) if a != "-n"]
    out = subprocess.run([*args[:1], "-c", *args[1:]], cwd=tree, capture_output=True, check=False)
    return sum(int(line.rsplit(b":", 1)[1]) for line in out.stdout.splitlines() if line)


def rg_peak_mb(tree: Path, query: Query) -> float | None:
    """ripgrep's peak RSS for one run (GNU time), or None without /usr/bin/time."""
    if not Path("/usr/bin/time").exists():
        return None
    command = ["/usr/bin/time", "-f", "%M", *rg_args(query)]
    out = subprocess.run(command, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = out.stderr.strip().splitlines()[-1:] or [b""]
    return int(last[0]) / 1024 if last[0].isdigit() else None


def time_ours(
    snapshot: Snapshot, query: Query, first_page: bool, within: float | None = None
) -> tuple[float, float, int]:
    """(wall, CPU) seconds of one search, and its hit count (or page length). CPU
    counts this process and the search's worker processes (scanworkers)."""
    c0, t0 = time.process_time(), time.perf_counter()
    with search(snapshot, query) as s:
        if within is not None:
            n = len(s.first_page(within))
        else:
            n = len(s.page(0)) if first_page else s.total()
        wall = time.perf_counter() - t0
        return wall, time.process_time() - c0 + s.progress.worker_cpu, n


def anon_mb() -> float:
    """Anonymous resident memory: the heap, not the snapshot's memory-mapped pages
    (those are page cache, and show in RSS as the file is read)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


def ours_peak_mb(snapshot: Snapshot, query: Query, first_page: bool) -> float:
    """The process's peak anonymous memory during one search, sampled every 2 ms (an
    untimed run). Absolute, not a difference: freed memory is reused between runs."""
    peak = [anon_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak[0] = max(peak[0], anon_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time_ours(snapshot, query, first_page)
    done.set()
    sampler.join()
    return max(peak[0], anon_mb())


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass
class Row:
    name: str
    query: dict[str, Any]
    measure: str
    ours_ms: float
    rg_ms: float
    ratio: float
    ours_cpu_ms: float
    rg_cpu_ms: float
    hits: int
    rg_hits: int | None
    ours_peak_mb: float
    rg_peak_mb: float | None
    target: str
    runs: int


def measure(tree: Path, snapshot: Snapshot, case: Case, runs: int, long_runs: int) -> Row:
    q, first = case.query, case.first_page
    warm, _, _ = time_ours(snapshot, q, first, case.within)  # warm-up
    time_rg(tree, q, first)
    if warm > LONG:
        runs = min(runs, long_runs)
    ours: list[tuple[float, float, int]] = []
    peer: list[tuple[float, float]] = []
    for i in range(runs):
        for who in (0, 1) if i % 2 == 0 else (1, 0):
            if who == 0:
                ours.append(time_ours(snapshot, q, first, case.within))
            else:
                peer.append(time_rg(tree, q, first))
    o = statistics.median(x[0] for x in ours) * 1000
    p = statistics.median(x[0] for x in peer) * 1000
    return Row(
        name=case.name,
        query=q.to_json(),
        measure=f"fp({case.within})" if case.within else "page(0)" if first else "total()",
        ours_ms=round(o, 1),
        rg_ms=round(p, 1),
        ratio=round(p / o, 2) if o else float("inf"),
        ours_cpu_ms=round(statistics.median(x[1] for x in ours) * 1000, 1),
        rg_cpu_ms=round(statistics.median(x[1] for x in peer) * 1000, 1),
        hits=ours[-1][2],
        rg_hits=None if first else rg_hits(tree, q),
        ours_peak_mb=round(ours_peak_mb(snapshot, q, first), 1),
        rg_peak_mb=None if first else rg_peak_mb(tree, q),
        target=case.target,
        runs=runs,
    )


def table(rows: list[Row]) -> str:
    head = (
        f"{'query':26} {'measure':8} {'ours ms':>8} {'rg ms':>8} {'ratio':>7} "
        f"{'ours cpu':>8} {'rg cpu':>8} {'hits':>10} {'rg hits':>10} {'ours MB':>7} "
        f"{'rg MB':>6}  target"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        rg_hits = "" if r.rg_hits is None else f"{r.rg_hits:,}"
        rg_mb = "" if r.rg_peak_mb is None else f"{r.rg_peak_mb:.0f}"
        lines.append(
            f"{r.name:26} {r.measure:8} {r.ours_ms:8.1f} {r.rg_ms:8.1f} {r.ratio:6.2f}x "
            f"{r.ours_cpu_ms:8.1f} {r.rg_cpu_ms:8.1f} {r.hits:>10,} {rg_hits:>10} "
            f"{r.ours_peak_mb:7.0f} {rg_mb:>6}  {r.target}"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the Python stdlib, not Linux 6.1")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    ap.add_argument(
        "--long-runs", type=int, default=3,
        help=f"timed runs for a case whose warm-up took over {LONG:.0f} s (default 3)",
    )  # fmt: skip
    ap.add_argument("--json", action="store_true", help="JSON on stdout, table on stderr")
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench"))
    ap.add_argument("--stdlib", type=Path, default=STDLIB, help="the tree for --quick")
    ap.add_argument("--only", help="run only the cases whose name contains this")
    ap.add_argument(
        "--snapshot", type=Path, default=LINUX_SNAPSHOT,
        help="the Linux snapshot to use (built there from the tree if missing)",
    )  # fmt: skip
    args = ap.parse_args()
    if shutil.which("rg") is None:
        log("ripgrep is missing: apt-get install -y ripgrep")
        return 2

    tree, path = stdlib(args.stdlib, args.cache_dir) if args.quick else linux(args.snapshot)
    log(f"tree {tree}\nsnapshot {path} ({path.stat().st_size / 2**30:.2f} GiB)")
    presence = has_presence(path)
    if not presence:  # a snapshot built before ADR 0112: a short literal reads every blob
        log(
            "warning: this snapshot has no byte presence table (built before ADR 0112);"
            " one- and two-byte literals read every text blob. Rebuild it to measure them."
        )
    load_start = os.getloadavg()
    log(f"load average at start: {' '.join(f'{x:.2f}' for x in load_start)}")
    rss_start = rss_mb()
    t0 = time.perf_counter()
    snapshot = Snapshot.open(path, [raw_public(seeded_key(SEED))])
    open_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    prepare(snapshot)  # what the reviewer terminal reads at start, once per snapshot
    prepare_ms = (time.perf_counter() - t0) * 1000
    first_ms, _, _ = time_ours(snapshot, Query("cleanroom-bench: no such text"), False)
    rss_open = rss_mb()
    log(
        f"open {open_ms:.1f} ms; prepare (file list, index facts) "
        f"{prepare_ms:.0f} ms; the first search after that {first_ms * 1000:.0f} ms"
    )

    rows = []
    for case in cases(args.quick):
        if args.only and args.only not in case.name:
            continue
        rows.append(measure(tree, snapshot, case, args.runs, args.long_runs))
        log(table(rows[-1:]).splitlines()[-1])
    snapshot.close()

    memory = {
        "rss_before_open_mb": round(rss_start, 1),
        "rss_open_with_file_list_mb": round(rss_open, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_anon_after_runs_mb": round(anon_mb(), 1),
        "rg_peak_rss_mb": max((r.rg_peak_mb or 0 for r in rows), default=0),
    }
    report = {
        "tree": str(tree),
        "snapshot": str(path),
        "files": snapshot.manifest.files,
        "bytes": snapshot.manifest.bytes,
        "open_ms": round(open_ms, 1),
        "prepare_ms": round(prepare_ms, 1),
        "first_search_after_open_ms": round(first_ms * 1000, 1),
        "presence_table": presence,
        "memory": memory,
        "rows": [asdict(r) for r in rows],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "load_start": load_start,
            "load": os.getloadavg(),
        },  # fmt: skip
        "rg": subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.split()[1],
        "cleanroom": str(Path(cleanroom.__file__).parent),
    }
    text = table(rows) + "\n\nmemory: " + ", ".join(f"{k} {v}" for k, v in memory.items())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text += f"\nload average: at start {' '.join(f'{x:.2f}' for x in load_start)}, at end {load}"
    if args.json:
        log(text)
        print(json.dumps(report, indent=2))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
