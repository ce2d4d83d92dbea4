#!/usr/bin/env python3
"""The symbol index on a Linux 6.1 subtree: build cost, size, and query speed.

    .venv/bin/python scripts/bench/symbols.py            # kernel mm fs drivers/net (~200 MB)
    .venv/bin/python scripts/bench/symbols.py --quick    # kernel mm (~18 MB)
    .venv/bin/python scripts/bench/symbols.py --json     # JSON on stdout, table on stderr
    .venv/bin/python scripts/bench/symbols.py --snapshot /tmp/linuxsrc/linux.snapshot
        # on a snapshot built already (signed by one of KNOWN_SEEDS; opened read-only,
        # never written): every query target below if it has a symbol index, then the
        # first page of references of SHORT_NAMES and LONG_NAMES

Targets (issue 15; reported, never asserted):

- build: `create` with symbols within +50% of `create` without, same tree, same run;
- size: the symbols table and its index within 0.5x the text they index;
- go to definition (`definitions(name)`) and the first page of references
  (`references(name).page(0)`): within 50 ms;
- outline of a file of 10,000 lines or more: within 50 ms (the longest such file with
  symbols, and the one with the most symbol rows: `outline0`, `outline1`).

Beside each wall time, CPU time (`_cpu_ms`): on a shared machine the wall times move
with the load.

The same three are timed again through the reviewer's service (`LocalService`
over a `ReviewSession` writing a real ledger, as the recorder serves them):
`definitions` and `outline` each record their entry (`symbol_definitions`,
`symbol_outline`: an fsync'd ledger write) before they answer, and the first
page of references is the time from `search(references_query(name))` to its
first recorded page (`search_start`) or, for a search that ends first, to its
`search` entry. The integrity check is done once, by the first call, as in a
session, and timed on its own (`service_first_call_ms`). The first page of references is
timed again for names of one or two letters (the first SHORT of them), which
the index hardly narrows: median and max (`service_references_short_*`).

The subtree is copied once (never modified in place) from /tmp/linuxsrc into
--cache-dir/tree-<dirs>; both snapshots are built there afresh each run (the
Linux snapshot in /tmp/linuxsrc is shared and never rebuilt). Create times are
wall and CPU (this process and ctags) of one build each, the two builds
alternating order with --runs. Query times are medians over a fixed sample of
names (every 97th distinct defined name, at most 200), after `check()`, which is
timed on its own row. Size is the file size difference of the two snapshots,
and, where SQLite has dbstat, the pages of `symbol_names`, `symbols` and
`symbols_name` (format v2, ADR 0126). Through the service, review's start is
timed too: `ensure_symbols_checked` without a record (`open_check_first`: every
row) and with the record it wrote (`open_check_again`); the session's first
call is then answered without reading the table. The outline is timed whole
(`outline*`) and as the page the terminal lists (`outline*_page`, OUTLINE_LIMIT), and
its last page (`outline*_last_page`: SQLite steps over the rows before it, ADR 0127).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cleanroom.session.symbols import OUTLINE_LIMIT  # noqa: E402
from cleanroom.snapshot.create import create_snapshot  # noqa: E402
from cleanroom.snapshot.store import Snapshot  # noqa: E402
from cleanroom.snapshot.symbols.query import SymbolIndex  # noqa: E402
from tests.ledgerkit import seeded_key  # noqa: E402

LINUX = Path("/tmp/linuxsrc/linux-source-6.1")
KEY = seeded_key("v")
SHORT = 60  # short names timed (the first, in name order)
# Short identifiers the Linux tree uses a lot, for --snapshot (which needs no index).
SHORT_NAMES = [
    "i", "j", "n", "id", "fd", "mm", "rc", "ip", "nr", "np", "sk", "op", "pr", "tx", "rx",
    "dev", "skb", "err", "len", "buf", "ret", "val", "tmp", "ctx", "vma", "pid", "irq",
    "cpu", "reg", "ops",
]  # fmt: skip
# Longer names for --snapshot, which the index narrows (its MATCH is the cost): two of
# 31 letters, common and rare ones, and one that is nowhere.
LONG_NAMES = [
    "sched_preempt_enable_no_resched", "uclamp_sync_util_min_rt_default", "tcp_v4_rcv",
    "kmem_cache_alloc", "spin_lock_irqsave", "copy_from_user", "nonexistent_name_qq",
]  # fmt: skip
KNOWN_SEEDS = ("cleanroom-bench/vendor", "v", "snapshot/vendor", "kit/vendor")


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def tree(cache: Path, dirs: list[str]) -> Path:
    out = cache / ("tree-" + "+".join(d.replace("/", "_") for d in dirs))
    if not out.exists():
        part = out.with_suffix(".partial")
        shutil.rmtree(part, ignore_errors=True)
        for d in dirs:
            (part / d).parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "-a", str(LINUX / d), str(part / d)], check=True)
        part.rename(out)
    return out


def build(src: Path, out: Path, symbols: bool) -> tuple[float, float]:
    if out.exists():
        out.chmod(0o644)
        out.unlink()
    t, c = time.perf_counter(), cpu()
    create_snapshot(src, out, KEY, "bench", "6.1", symbols=symbols)
    return time.perf_counter() - t, cpu() - c


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dirs", nargs="*")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench/sym15t"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--snapshot", type=Path, help="time the queries on a built snapshot")
    ap.add_argument(
        "--sample",
        type=int,
        default=200,
        help="names sampled (and short names, at most SHORT): each reference"
        " through the service runs its pass to the end, seconds on Linux",
    )
    ap.add_argument("--no-named", action="store_true",
                    help="--snapshot: not SHORT_NAMES and LONG_NAMES")  # fmt: skip
    a = ap.parse_args()
    if a.snapshot:
        res = on_snapshot(a.snapshot, a.sample, not a.no_named)
        for k, v in res.items():
            print(f"{k:28} {v:.3f}" if isinstance(v, float) else f"{k:28} {v}", file=sys.stderr)
        if a.json:
            print(json.dumps(res))
        return
    dirs = a.dirs or (["kernel", "mm"] if a.quick else ["kernel", "mm", "fs", "drivers/net"])
    a.cache_dir.mkdir(parents=True, exist_ok=True)
    src = tree(a.cache_dir, dirs)
    with_sym, without = a.cache_dir / "with.snapshot", a.cache_dir / "without.snapshot"
    builds: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    for run in range(a.runs):
        order = [(True, with_sym), (False, without)]
        for sym, out in order if run % 2 == 0 else order[::-1]:
            builds["with" if sym else "without"].append(build(src, out, sym))
    res: dict[str, object] = {"dirs": dirs, "load": os.getloadavg()}
    for k, v in builds.items():
        res[f"create_{k}_s"] = statistics.median(x[0] for x in v)
        res[f"create_{k}_cpu_s"] = statistics.median(x[1] for x in v)
    res["create_ratio"] = res["create_with_s"] / res["create_without_s"]  # type: ignore[operator]
    res["file_growth_bytes"] = with_sym.stat().st_size - without.stat().st_size
    res.update(queries(with_sym, [bytes(KEY.public_key().public_bytes_raw())], a.sample))
    res["size_ratio"] = (res["table_bytes"] or res["file_growth_bytes"]) / res["text_bytes"]  # type: ignore[operator]
    for k, v in res.items():
        print(f"{k:28} {v:.3f}" if isinstance(v, float) else f"{k:28} {v}", file=sys.stderr)
    if a.json:
        print(json.dumps(res))


def big_files(conn: sqlite3.Connection) -> list[tuple[bytes, int, int]]:
    """(path, lines, symbol rows) of the text file of 10,000 lines or more with the
    most lines, and of the one with the most symbol rows (the outline's worst case):
    one row if they are the same file."""
    rows = conn.execute(
        "SELECT f.path, b.lines, (SELECT count(*) FROM symbols s WHERE s.blob = b.rowid)"
        " FROM files f JOIN blobs b ON b.hash = f.blob"
        " WHERE f.kind = 'file' AND b.binary = 0 AND b.lines >= 10000"
    ).fetchall()
    rows = [r for r in rows if r[2] > 0]
    if not rows:
        return []
    longest = max(rows, key=lambda r: (r[1], r[0]))
    most = max(rows, key=lambda r: (r[2], r[0]))
    return [longest] if longest == most else [longest, most]


def cpu_timed(fn) -> tuple[float, float]:
    """(wall ms, this thread's CPU ms) of fn()."""
    t, c = time.perf_counter(), time.thread_time()
    fn()
    return (time.perf_counter() - t) * 1000, (time.thread_time() - c) * 1000


def medians(prefix: str, samples: list[tuple[float, float]]) -> dict[str, float]:
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    return {f"{prefix}_ms_median": statistics.median(walls), f"{prefix}_ms_max": max(walls),
            f"{prefix}_cpu_ms_median": statistics.median(cpus),
            f"{prefix}_cpu_ms_max": max(cpus)}  # fmt: skip


def queries(path: Path, keys: list[bytes], count: int = 200) -> dict[str, object]:
    """Size, then definitions, outline and references' first page on the snapshot at
    `path` (which has symbols): bare, then through the service with a real ledger."""
    res: dict[str, object] = {"load_queries": os.getloadavg()}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    text = conn.execute("SELECT sum(size) FROM blobs WHERE binary = 0").fetchone()[0]
    rows = conn.execute("SELECT count(*) FROM symbols").fetchone()[0]
    try:
        table = conn.execute(
            "SELECT sum(pgsize) FROM dbstat"
            " WHERE name IN ('symbols', 'symbols_name', 'symbol_names')"
        ).fetchone()[0]
    except sqlite3.OperationalError:
        table = None
    names = [n for (n,) in conn.execute("SELECT name FROM symbol_names ORDER BY id")]
    bigs = big_files(conn)
    conn.close()
    res.update(text_bytes=text, symbol_rows=rows, distinct_names=len(names), table_bytes=table)
    if table:
        res["table_ratio"] = table / text
    # Every 97th (the sample of earlier runs), or spread over all names when fewer are asked.
    step = 97 if count >= 200 else max(1, len(names) // count)
    sample = names[::step][:count]
    # Names of one or two letters: literals the index hardly narrows (ADR 0215).
    short = [n for n in names if len(n) <= 2][: min(SHORT, count)]
    with Snapshot.open(path, keys) as snap:
        index = SymbolIndex(snap)
        res.update(medians("check", [cpu_timed(index.check)]))
        res.update(medians("definitions", [cpu_timed(lambda n=n: index.definitions(n))
                                           for n in sample]))  # fmt: skip
        refs, refs_cpu = [], []
        for n in sample:
            s = index.references(n)
            c = time.process_time()  # this process only: the wall time moves with the load
            refs.append(timed(lambda s=s: s.page(0)))
            refs_cpu.append((time.process_time() - c) * 1000)
            s.close()
        res["references_page0_ms_median"] = statistics.median(refs)
        res["references_page0_ms_p90"] = statistics.quantiles(refs, n=10)[-1]
        res["references_page0_ms_max"] = max(refs)
        res["references_page0_cpu_ms_median"] = statistics.median(refs_cpu)
        res["references_page0_cpu_ms_p90"] = statistics.quantiles(refs_cpu, n=10)[-1]
        res["references_page0_cpu_ms_max"] = max(refs_cpu)
        slowest = max(range(len(sample)), key=refs.__getitem__)
        res["references_page0_slowest"] = f"{sample[slowest]} ({refs[slowest]:.0f} ms)"
        res["quick_open_ms_median"] = statistics.median(
            timed(lambda n=n: index.quick_open(n[:3])) for n in sample
        )
        for k, (big, lines, count) in enumerate(bigs):
            index.outline(big)  # the file facts: the first call is cold
            res[f"outline{k}_file"] = (
                f"{big.decode(errors='replace')} ({lines:,} lines, {count:,} rows)"
            )
            res.update(medians(f"outline{k}", [cpu_timed(lambda b=big: index.outline(b))
                                                for _ in range(20)]))  # fmt: skip
            page = [cpu_timed(lambda b=big: index.outline_page(b, OUTLINE_LIMIT))
                    for _ in range(20)]  # fmt: skip
            res.update(medians(f"outline{k}_page", page))
            last = (count - 1) // OUTLINE_LIMIT * OUTLINE_LIMIT  # the last page (ADR 0127)
            page = [cpu_timed(lambda b=big, o=last: index.outline_page(b, OUTLINE_LIMIT, o))
                    for _ in range(20)]  # fmt: skip
            res.update(medians(f"outline{k}_last_page", page))
    res.update(through_service(path, keys, sample, [b for b, _, _ in bigs], short))
    return res


def on_snapshot(path: Path, count: int = 200, named: bool = True) -> dict[str, object]:
    """Every target on a snapshot built already (signed by one of KNOWN_SEEDS); only
    the first page of references if it has no symbol index."""
    keys = [bytes(seeded_key(s).public_key().public_bytes_raw()) for s in KNOWN_SEEDS]
    with Snapshot.open(path, keys) as snap:
        has = snap.has_symbols
    res: dict[str, object] = queries(path, keys, count) if has else {}
    if named:
        res.update(short_references(path))
    return res


def through_service(snapshot: Path, keys: list[bytes], sample: list[str], bigs: list[bytes],
                    short: list[str]) -> dict[str, object]:  # fmt: skip
    """Definitions, outline and the first page of references as the terminal gets
    them: recorded in a real ledger first (see the module's docstring)."""
    import tempfile

    from cleanroom.ledger.writer import Ledger
    from cleanroom.session.index_check import identity
    from cleanroom.session.local_service import LocalService
    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from cleanroom.session.snapshot_source import SnapshotSource
    from cleanroom.session.symbols_check import ensure_symbols_checked
    from cleanroom.snapshot.search import prepare
    from cleanroom.snapshot.symbols.query import references_query
    from tests.ledgerkit import Kit

    out: dict[str, object] = {}
    before = identity(snapshot)
    source = SnapshotSource.from_file(snapshot, keys)
    prepare(source.snapshot)
    kit = Kit("bench")
    with tempfile.TemporaryDirectory(prefix="sym15t-ledger-") as d:
        # review's start: the whole table once per snapshot file, then a trusted record
        for k in ("first", "again"):
            source.snapshot.symbols_verified = False
            check = cpu_timed(lambda: ensure_symbols_checked(source.snapshot, before, Path(d)))
            out.update(medians(f"open_check_{k}", [check]))
        ledger = Ledger.create(Path(d), kit.workstation, kit.reviewer_ref(), source.ref)
        facts = Facts("Bench Reviewer", "Bench", "ws-01", source.name, str(ledger.path))
        service = LocalService(ReviewSession(Recorder(ledger), source, facts))
        out["service_first_call_ms"] = timed(lambda: service.definitions(sample[0]))
        defs = [cpu_timed(lambda n=n: service.definitions(n)) for n in sample]
        out.update(medians("service_definitions", defs))
        out["service_definitions_ms_p90"] = statistics.quantiles([w for w, _ in defs], n=10)[-1]
        firsts = [first_page(service, references_query(n)) for n in sample]
        out["service_references_first_page_ms_median"] = statistics.median(firsts)
        out["service_references_first_page_ms_p90"] = statistics.quantiles(firsts, n=10)[-1]
        if short:
            firsts = [first_page(service, references_query(n)) for n in short]
            out["short_names"] = len(short)
            out["service_references_short_first_page_ms_median"] = statistics.median(firsts)
            out["service_references_short_first_page_ms_max"] = max(firsts)
            slowest = max(range(len(short)), key=firsts.__getitem__)
            out["service_references_short_slowest"] = f"{short[slowest]} ({firsts[slowest]:.0f} ms)"
        for k, big in enumerate(bigs):
            opened = service.open_file(big)
            outs = [cpu_timed(lambda o=opened: service.outline(o)) for _ in range(20)]
            out.update(medians(f"service_outline{k}", outs))
            out[f"service_outline{k}_rows"] = service.outline(opened).total
        ledger.close()
    return out


def short_references(snapshot: Path) -> dict[str, object]:
    """The first page of references of SHORT_NAMES, then of LONG_NAMES, on `snapshot`,
    through the service with a real ledger: wall (median, max) and this process's CPU
    up to that page."""
    import tempfile

    from cleanroom.ledger.writer import Ledger
    from cleanroom.session.local_service import LocalService
    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from cleanroom.session.snapshot_source import SnapshotSource
    from cleanroom.snapshot.search import prepare
    from cleanroom.snapshot.symbols.query import references_query
    from tests.ledgerkit import Kit

    keys = [bytes(seeded_key(s).public_key().public_bytes_raw()) for s in KNOWN_SEEDS]
    source = SnapshotSource.from_file(snapshot, keys)
    prepare(source.snapshot)
    kit = Kit("bench")
    out: dict[str, object] = {"snapshot": str(snapshot), "load": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="sym15t-ledger-") as d:
        ledger = Ledger.create(Path(d), kit.workstation, kit.reviewer_ref(), source.ref)
        facts = Facts("Bench Reviewer", "Bench", "ws-01", source.name, str(ledger.path))
        service = LocalService(ReviewSession(Recorder(ledger), source, facts))
        first_page(service, references_query("zz_warm_up"))  # the first call's checks
        for label, names in (("short", SHORT_NAMES), ("long", LONG_NAMES)):
            walls, cpus = [], []
            for name in names:
                c = time.process_time()
                cpu_at: list[float] = []
                walls.append(first_page(service, references_query(name), cpu_at))
                cpus.append((cpu_at[0] if cpu_at else time.process_time()) * 1000 - c * 1000)
            slowest = max(range(len(walls)), key=walls.__getitem__)
            worst = f"{names[slowest]} ({walls[slowest]:.0f} ms)"
            out.update({f"{label}_names": len(names),
                        f"{label}_first_page_ms_median": statistics.median(walls),
                        f"{label}_first_page_ms_max": max(walls),
                        f"{label}_first_page_slowest": worst,
                        f"{label}_first_page_cpu_ms_median": statistics.median(cpus),
                        f"{label}_first_page_cpu_ms_max": max(cpus)})  # fmt: skip
        ledger.close()
    out["load_after"] = os.getloadavg()
    return out


def first_page(service: object, query: object, cpu_at: list[float] | None = None) -> float:
    """Milliseconds from asking for `query` to its first recorded page (`search_start`),
    or to its `search` entry for a search that ends first."""
    t = time.perf_counter()
    seen: list[float] = []

    def first(_results: object) -> None:
        seen.append((time.perf_counter() - t) * 1000)
        if cpu_at is not None:
            cpu_at.append(time.process_time())  # the page is recorded: its CPU so far

    service.search(query, None, first)  # type: ignore[attr-defined]
    return seen[0] if seen else (time.perf_counter() - t) * 1000


if __name__ == "__main__":
    main()
