#!/usr/bin/env python3
"""Forensics performance: `cleanroom report` on one large ledger, and `cleanroom
who-viewed` over many ledgers, cold (verifying) and from the cache.

    .venv/bin/python scripts/bench/forensics.py            # 100k-entry report; 100 x 10k
    .venv/bin/python scripts/bench/forensics.py --quick    # 20k-entry report; 20 x 2k
    .venv/bin/python scripts/bench/forensics.py --json     # JSON on stdout, table on stderr

Targets (from the issue; this script reports them, it never asserts them):

- `report` on a 100k-entry ledger within 10 s (each output format is timed);
- `who-viewed` over 100 ledgers of 10k entries within 2 s after verification:
  the second query is answered from the verification cache.

Every timing is the wall clock of the real command (`.venv/bin/cleanroom` in a
subprocess), median of --runs. Ledgers are synthetic review sessions written
through the real encoding (Body.encode, a fresh Ed25519 key per entry, the
workstation key for the start, a countersigned seal) over a synthetic
vendor-signed snapshot, so verification, decoding and line counts are real.
They are built once and cached in --cache-dir (default /tmp/cleanroom-bench).
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom import __version__
from cleanroom.ledger.clock import SteppingClock
from cleanroom.ledger.encoding import ZERO32, Body, countersign_message, entry_hash, signed_message
from cleanroom.ledger.events import (
    Countersign,
    Event,
    Head,
    Reviewer,
    SessionEnd,
    SessionStart,
    SnapshotRef,
)
from cleanroom.ledger.keys import Certificate, Role, raw_public, write_public_key
from cleanroom.ledger.schema import APPLICATION_ID, ENTRIES_DDL, USER_VERSION
from cleanroom.session.events import (
    Active,
    Alert,
    Blocked,
    FileOpen,
    Goto,
    Idle,
    Search,
    SearchResultsView,
    View,
)
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import CERT_END, CERT_START, seeded_key

SNAPSHOT_FORMAT = 1  # bump when the way the cached snapshot is built changes
# Bump when the way cached ledgers are built changes. 2: the monotonic clock runs
# with the wall clock across a workstation's sessions (format 1 started each
# session's at start_us // 1000, so a successor began "before" its predecessor
# ended on the same boot: a SESSION_ORDER finding over the 100 ledgers).
LEDGER_FORMAT = 2
CLEANROOM = ROOT / ".venv" / "bin" / "cleanroom"
TARGET_REPORT_S = 10.0
TARGET_QUERY_S = 2.0
FILES = 200
WORDS = ["strcpy", "password", "TODO", "auth", "memcpy", "token", "malloc", "admin", "crypt"]
START_US = 1_790_000_000_000_000
STEP_US = 1_500_000  # 1.5 s between entries


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the synthetic snapshot ------------------------------------------------------


def file_content(i: int) -> bytes:
    lines = 300 + (i * 7919) % 4700
    return b"".join(b"int line_%d_of_file_%d = %d;\n" % (n, i, n) for n in range(1, lines + 1))


def snapshot_files() -> list[tuple[str, str, int, int]]:
    """The synthetic snapshot's files as (path, blob, size, lines)."""
    files = []
    for i in range(FILES):
        data = file_content(i)
        files.append((f"src/mod{i % 17}/file{i:03d}.c", hashlib.sha256(data).hexdigest(),
                      len(data), data.count(b"\n")))  # fmt: skip
    return files


def snapshot_for(cache: Path) -> tuple[Path, Path, list[tuple[str, str, int, int]]]:
    """(snapshot, trust key file, files as (path, blob, size, lines)), built once."""
    vendor = seeded_key("bench-forensics/vendor")
    snap = cache / f"snapshot-v{SNAPSHOT_FORMAT}.snapshot"
    trust = cache / "vendor.pub"
    files = snapshot_files()
    if not snap.exists():
        log(f"  building the snapshot {snap} ...")
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            for (path, _, _, _), i in zip(files, range(FILES), strict=True):
                p = Path(tmp) / "tree" / path
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(file_content(i))
            create_snapshot(Path(tmp) / "tree", snap, vendor, "bench", "1.0", created=1_780_000_000)
    if not trust.exists():
        write_public_key(trust, vendor.public_key(), role=Role.VENDOR_ROOT)
    return snap, trust, files


# -- synthetic sessions ----------------------------------------------------------------


def session_events(n: int, seed: int, files: list[tuple[str, str, int, int]]) -> list[Event]:
    """A plausible review: hot files opened often, scrolling, searches, idle spells."""
    rng = random.Random(seed)
    out: list[Event] = []
    while len(out) < n:
        path, blob, size, lines = files[min(int(rng.paretovariate(1.1)) - 1, FILES - 1)]
        raw = path.encode()
        out.append(FileOpen(raw, blob, size, lines, {}))
        first = rng.randint(1, max(1, lines - 40))
        for _ in range(rng.randint(5, 40)):
            out.append(View(raw, blob, first, min(lines, first + 39), 0, 100))
            first = max(1, min(lines - 39, first + rng.choice([-40, 1, 3, 40, 40, 40])))
            r = rng.random()
            if r < 0.01:
                q = rng.choice(WORDS)
                out.append(Search(q, False, False, [], [], rng.randint(0, 500), "00" * 32))
                out.append(SearchResultsView(-1, 0, 20))  # search_seq fixed up when signed
            elif r < 0.015:
                first = rng.randint(1, max(1, lines - 40))
                out.append(Goto(raw, first))
            elif r < 0.018:
                out += [Idle(300), Active(rng.randint(1, 900))]
            elif r < 0.0185:
                out.append(Alert("media", "/media/usb0", "record", 1))
            elif r < 0.019:
                out.append(Blocked("copy_text", "action not in the allowlist"))
    return out[:n]


def mono_at(start_us: int) -> int:
    """The monotonic clock at wall time `start_us`: every session of the benchmark
    runs in one boot (SteppingClock's), so the two clocks keep in step and no
    session starts, by either, before its predecessor ended."""
    return start_us - START_US + 1_000_000


def signed_rows(
    n: int,
    ledger_id: bytes,
    ws_key: Ed25519PrivateKey,
    cert: Certificate,
    reviewer: Ed25519PrivateKey,
    snapshot: SnapshotRef,
    prev: Head | None,
    start_us: int,
    events: list[Event],
) -> Iterator[tuple[int, bytes, bytes]]:
    """Entries exactly as Ledger would write them (one fresh key per entry)."""
    clock = SteppingClock(wall_us=start_us, mono_us=mono_at(start_us), step_us=STEP_US)
    start = SessionStart(
        cert=cert.body.decode(),
        cert_sig=cert.sig.hex(),
        reviewer=Reviewer("Bench Reviewer", "Agency", raw_public(reviewer).hex()),
        snapshot=snapshot,
        prev_session=prev,
        software=f"cleanroom {__version__}",
    )
    signer, prev_hash = ws_key, ZERO32
    counts: Counter[str] = Counter()
    last_search = 0
    for seq in range(n):
        if seq == 0:
            kind, payload = start.kind, start.payload()
        elif seq == n - 1:
            cs = reviewer.sign(countersign_message(ledger_id, seq, prev_hash))
            end = SessionEnd("reviewer", seq, dict(sorted(counts.items())),
                             Countersign(raw_public(reviewer).hex(), cs.hex()))  # fmt: skip
            kind, payload = end.kind, end.payload()
        else:
            ev = events[seq - 1]
            kind, payload = ev.kind, ev.payload()
            if kind == "search":
                last_search = seq
            elif kind == "search_results_view":
                payload["search_seq"] = last_search
        nxt = None if seq == n - 1 else Ed25519PrivateKey.generate()
        wall, mono = clock.now()
        next_key = ZERO32 if nxt is None else raw_public(nxt)
        body = Body(seq, ledger_id, prev_hash, wall, mono, clock.boot, next_key, kind,
                    payload).encode()  # fmt: skip
        sig = signer.sign(signed_message(body))
        yield seq, body, sig
        prev_hash, signer = entry_hash(body, sig), nxt
        counts[kind] += 1


def write_ledger(path: Path, rows: Iterator[tuple[int, bytes, bytes]]) -> tuple[int, str]:
    """Write a sealed ledger in one transaction; return its head (seq, hash)."""
    tmp = path.with_name(f".{path.name}.building")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    last: list[tuple[int, bytes, bytes]] = []

    def keep(it: Iterator[tuple[int, bytes, bytes]]) -> Iterator[tuple[int, bytes, bytes]]:
        for row in it:
            last[:] = [row]
            yield row

    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {USER_VERSION}")
        conn.execute("BEGIN")
        conn.execute(ENTRIES_DDL)
        conn.executemany("INSERT INTO entries (seq, body, sig) VALUES (?, ?, ?)", keep(rows))
        conn.execute("COMMIT")
    finally:
        conn.close()
    os.chmod(tmp, 0o444)
    os.replace(tmp, path)
    seq, body, sig = last[0]
    return seq, entry_hash(body, sig).hex()


def build_chain(args: tuple[Path, int, int, int, str, list[Any]]) -> list[str]:
    """One workstation's chain of `sessions` sealed sessions of `n` entries each."""
    directory, ws, sessions, n, snap_id_root, files = args
    snap_id, snap_root = snap_id_root.split(":")
    vendor = seeded_key("bench-forensics/vendor")
    ws_key = seeded_key(f"bench-forensics/ws/{ws}")
    cert = Certificate.issue(vendor, f"ws-{ws:02d}", ws_key.public_key(), CERT_START, CERT_END)
    reviewer = seeded_key(f"bench-forensics/reviewer/{ws}")
    prev, made = None, []
    for j in range(sessions):
        ledger_id = hashlib.sha256(f"bench-forensics/{n}/{ws}/{j}".encode()).digest()[:16]
        start_us = START_US + (j * (n + 100) + ws) * STEP_US
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start_us // 1_000_000))
        path = directory / f"{stamp}-{ledger_id.hex()[:8]}.ledger"
        events = session_events(n - 2, ws * 10_000 + j, files)
        rows = signed_rows(n, ledger_id, ws_key, cert, reviewer, SnapshotRef(snap_id, snap_root),
                           prev, start_us, events)  # fmt: skip
        seq, head = write_ledger(path, rows)
        prev = Head(ledger_id.hex(), seq, head)
        made.append(str(path))
    return made


def ledgers_for(cache: Path, count: int, n: int, snap: Path, trust: Path, files: list) -> Path:
    """A directory of `count` sealed ledgers of `n` entries (10 workstations' chains)."""
    directory = cache / f"ledgers-{count}x{n}-v{LEDGER_FORMAT}"
    done = directory / ".complete"
    if done.exists():
        return directory
    log(f"  building {count} ledgers of {n:,} entries in {directory} ...")
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.ledger"):
        os.chmod(stale, 0o644)
        stale.unlink()
    with Snapshot.open(snap, [_raw_key(trust)]) as s:
        ident = f"{s.id}:{s.manifest.root}"
    chains = min(10, count)
    jobs = [(directory, ws, count // chains + (ws < count % chains), n, ident, files)
            for ws in range(chains)]  # fmt: skip
    t0 = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(len(os.sched_getaffinity(0))) as pool:
        pool.map(build_chain, jobs)
    log(f"  built in {time.perf_counter() - t0:.0f} s")
    done.write_text("")
    return directory


def _raw_key(trust: Path) -> bytes:
    from cleanroom.ledger.keys import load_public_key

    return load_public_key(trust, role=Role.VENDOR_ROOT, unmarked_ok=True).public_bytes_raw()


# -- measurements ------------------------------------------------------------------------


CPU: list[float] = []  # CPU seconds of each command run, in order (see `run`)


def run(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall seconds of one command; its CPU seconds (user + system, with the verify
    pool's workers) are appended to CPU: on a shared machine they move less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([str(CLEANROOM), *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall, proc


def report_section(ledger_dir: Path, snap: Path, trust: Path, runs: int, out: Path) -> dict:
    """Each run times `cleanroom verify` (the peer: a report cannot be faster) and the
    report in every format, one after the other, starting at a different one each
    run, so that load from outside moves the peer and the reports alike."""
    ledger = next(ledger_dir.glob("*.ledger"))
    result: dict[str, Any] = {"ledger": str(ledger), "entries": _entries(ledger), "formats": {}}
    order = ["verify", "html", "json", "jsonl", "csv"]
    wall: dict[str, list[float]] = {k: [] for k in order}
    cpu: dict[str, list[float]] = {k: [] for k in order}
    for r in range(runs):
        for what in order[r % len(order) :] + order[: r % len(order)]:
            if what == "verify":
                secs, proc = run(["verify", str(ledger), "--trust", str(trust)])
            else:
                target = out / f"report.{what}"
                target.unlink(missing_ok=True)
                secs, proc = run(["report", str(ledger), "--snapshot", str(snap), "--trust",
                                  str(trust), "-o", str(target)])  # fmt: skip
            if proc.returncode != 0:
                log(proc.stderr[-2000:])
                raise SystemExit(f"{what} on {ledger} failed ({proc.returncode})")
            wall[what].append(secs)
            cpu[what].append(CPU[-1])
        log(
            f"  run {r + 1}/{runs}: "
            + ", ".join(f"{k} {wall[k][-1]:.2f} s" for k in order)
            + f" | load {os.getloadavg()[0]:.1f}"
        )
    result["verify_seconds"] = statistics.median(wall["verify"])
    result["verify_cpu_seconds"] = statistics.median(cpu["verify"])
    for fmt in order[1:]:
        result["formats"][fmt] = {
            "seconds": statistics.median(wall[fmt]),
            "cpu_seconds": statistics.median(cpu[fmt]),
            "runs": runs,
            "bytes": (out / f"report.{fmt}").stat().st_size,
        }
    return result


def who_section(ledger_dir: Path, snap: Path, trust: Path, runs: int, files: list) -> dict:
    hot_path = files[0][0]
    base = ["who-viewed", f"{hot_path}:100-140", str(ledger_dir), "--trust", str(trust),
            "--snapshot", str(snap), "--json"]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cleanroom-bench-cache-") as tmp:
        cache = ["--cache-dir", tmp]
        cold, proc = run(base + cache)
        cold_cpu = CPU[-1]
        doc = _ok(proc)
        warm, other, nocache, warm_cpu = [], [], [], []
        for _ in range(runs):
            secs, proc = run(base + cache)
            warm.append(secs)
            warm_cpu.append(CPU[-1])
            doc2 = _ok(proc)
            secs, proc = run(["who-viewed", f"{files[1][0]}", str(ledger_dir), "--trust",
                              str(trust), "--search", "strcpy", "--json", *cache])  # fmt: skip
            other.append(secs)
            doc3 = _ok(proc)
        secs, proc = run(base + ["--no-cache"])
        nocache.append(secs)
        verify_all = run(["verify", str(ledger_dir), "--trust", str(trust)])[0]
        cache_bytes = sum(p.stat().st_size for p in Path(tmp).iterdir())
    from_cache = sum(1 for x in doc2["ledgers"] if x["from_cache"])
    return {
        "ledgers": len(doc["ledgers"]),
        "entries_each": _entries(next(ledger_dir.glob("*.ledger"))),
        "status": doc["status"],
        "sightings": len(doc["sightings"]),
        "cold_seconds": cold,
        "cold_cpu_seconds": cold_cpu,
        "warm_seconds": statistics.median(warm),
        "warm_cpu_seconds": statistics.median(warm_cpu),
        "warm_other_seconds": statistics.median(other),
        "other_searches": len(doc3["searches"]),
        "no_cache_seconds": nocache[0],
        "verify_all_seconds": verify_all,
        "from_cache": from_cache,
        "runs": runs,
        "cache_bytes": cache_bytes,
    }


def _ok(proc: subprocess.CompletedProcess[str]) -> dict:
    if proc.returncode != 0:
        log(proc.stderr[-2000:])
        raise SystemExit(f"who-viewed failed ({proc.returncode})")
    return json.loads(proc.stdout)


def _entries(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        conn.close()


def render(r: dict) -> str:
    rep, who = r["report"], r["who_viewed"]
    head = [
        f"forensics benchmark ({r['mode']}), {r['date']}, {r['cpus']} CPUs, {r['cpu']}",
        f"load average {r['load_start']:.1f} at start, {r['load_end']:.1f} at end "
        f"(above {r['cpus']}, other work shared the CPUs and wall times are inflated)"
        if max(r["load_start"], r["load_end"]) > r["cpus"]
        else f"load average {r['load_start']:.1f} at start, {r['load_end']:.1f} at end",
    ]
    return "\n".join(head + render_report(r, rep) + render_who(who))


def render_report(r: dict, rep: dict | None) -> list[str]:
    if rep is None:
        return []
    lines = [
        "",
        f"report on one ledger of {rep['entries']:,} entries "
        f"(target <= {TARGET_REPORT_S:.0f} s for 100k), median of {r['runs']} runs:",
        f"  {'format':<8}{'wall s':>8}{'over verify':>13}{'CPU s':>8}{'output':>10}",
        f"  {'(verify)':<8}{rep['verify_seconds']:>8.2f}{'':>13}{rep['verify_cpu_seconds']:>8.2f}"
        "            the peer: cleanroom verify alone",
    ]
    for fmt, x in rep["formats"].items():
        mark = "ok" if x["seconds"] <= TARGET_REPORT_S else "OVER"
        extra = x["seconds"] - rep["verify_seconds"]
        lines.append(
            f"  .{fmt:<7}{x['seconds']:>8.2f}{extra:>+12.2f}s{x['cpu_seconds']:>8.2f}"
            f"{x['bytes'] / 1e6:>7.1f} MB  {mark}"
        )
    return lines


def render_who(who: dict | None) -> list[str]:
    if who is None:
        return []
    return [
        "",
        f"who-viewed over {who['ledgers']} ledgers of {who['entries_each']:,} entries "
        f"(target <= {TARGET_QUERY_S:.0f} s after verification):",
        f"  first query, verifying every ledger (cold cache)  {who['cold_seconds']:>8.2f} s"
        f"  (CPU {who['cold_cpu_seconds']:.2f} s)",
        f"  same query again, from the cache                  {who['warm_seconds']:>8.2f} s"
        f"  (CPU {who['warm_cpu_seconds']:.2f} s)  "
        + ("ok" if who["warm_seconds"] <= TARGET_QUERY_S else "OVER"),
        f"  another file and --search, from the cache         {who['warm_other_seconds']:>8.2f} s",
        f"  --no-cache (verifies again)                       {who['no_cache_seconds']:>8.2f} s",
        f"  cleanroom verify on the same directory (peer)     {who['verify_all_seconds']:>8.2f} s",
        f"  sightings {who['sightings']}, searches matched {who['other_searches']}, "
        f"ledgers from cache {who['from_cache']}/{who['ledgers']}, "
        f"cache {who['cache_bytes'] / 1e6:.1f} MB, status {who['status']}",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="20k-entry report, 20 ledgers of 2k")
    ap.add_argument("--json", action="store_true", help="JSON on stdout (table on stderr)")
    ap.add_argument("--runs", type=int, help="runs per measurement (default 3, quick 1)")
    ap.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "cleanroom-bench"
    )
    ap.add_argument("--only", choices=("report", "who"), help="run one of the two parts")
    args = ap.parse_args(argv)
    runs = args.runs or (1 if args.quick else 3)
    big, count, each = (20_000, 20, 2_000) if args.quick else (100_000, 100, 10_000)
    cache: Path = args.cache_dir / "forensics"
    cache.mkdir(parents=True, exist_ok=True)
    snap, trust, files = snapshot_for(cache)
    report_dir = ledgers_for(cache, 1, big, snap, trust, files)
    many_dir = ledgers_for(cache, count, each, snap, trust, files)
    result: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": " ".join([".venv/bin/python", "scripts/bench/forensics.py", *sys.argv[1:]]),
        "cpus": len(os.sched_getaffinity(0)),
        "cpu": _cpu(),
        "runs": runs,
        "load_start": os.getloadavg()[0],
    }
    result["report"] = result["who_viewed"] = None
    if args.only != "who":
        with tempfile.TemporaryDirectory(prefix="report-", dir=cache) as out:
            log(f"report: {big:,} entries, {runs} runs per format")
            result["report"] = report_section(report_dir, snap, trust, runs, Path(out))
    if args.only != "report":
        log(f"who-viewed: {count} ledgers of {each:,} entries")
        result["who_viewed"] = who_section(many_dir, snap, trust, runs, files)
    result["load_end"] = os.getloadavg()[0]
    table = render(result)
    if args.json:
        print(table, file=sys.stderr)
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        print(table)
    return 0


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
