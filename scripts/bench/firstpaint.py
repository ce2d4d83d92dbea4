"""Where the first paint of a huge file goes: the parts of opening it, timed apart.

    .venv/bin/python scripts/bench/firstpaint.py [--lines 1000000] [--runs 5]

Uses the generated one-file snapshot of scripts/bench/tui.py (cached under
--cache-dir; built if absent; it has chunk lists, docs/snapshot-format.md §2.1)
and, if cached, tui.py's earlier snapshot of the same file without them. For each
it times, in one process with a warm page cache, the medians (and CPU time) of:
reading the whole blob, SHA-256 over it, the facts pass (hash and line index,
`FactsBuilder`), the flags pass (`may_flag`, then `scan_content` if needed), the
widest-line pass, decoding and sanitizing the first screen (`render_lines`, 50
lines), and `SnapshotSource.open` plus the first screen's `lines()` (what a
file_open pays before its first strip). It prints a table and, with --json, JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tui  # noqa: E402  (this script's directory: the generated file, the vendor key)

SCREEN = 50


def timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {"ms": statistics.median(wall), "cpu_ms": statistics.median(cpu)}


def old_snapshot(cache: Path, lines: int) -> Path | None:
    """The same file in a snapshot without chunk lists (tui.py's format 1), if cached."""
    path = cache / f"tui-big-{lines}-s1-v1.snapshot"
    return path if path.exists() else None


def measure(path: Path, runs: int) -> dict[str, dict[str, float]]:
    from cleanroom.ledger.keys import raw_public
    from cleanroom.session.flag_scan import scan_content
    from cleanroom.session.snapshot_source import SnapshotSource
    from cleanroom.session.source import may_flag
    from cleanroom.snapshot.blobs import FactsBuilder, unpack_line_index
    from cleanroom.snapshot.candidates import CHUNK
    from cleanroom.snapshot.store import Snapshot
    from cleanroom.tui.highlight import lexer_for, render_lines
    from tests.ledgerkit import seeded_key

    trust = [raw_public(seeded_key(tui.VENDOR_SEED))]
    source = SnapshotSource.from_file(path, trust)
    snap = source.snapshot
    info = snap.stat(tui.BIG_PATH)
    data = snap.read(info.blob, 0, info.size)
    starts = unpack_line_index(snap.line_index_bytes(info.blob))

    def facts() -> None:
        b = FactsBuilder()
        for at in range(0, len(data), CHUNK):
            b.update(data[at : at + CHUNK])
        b.finish()

    def flags() -> None:
        if any(may_flag(data[at : at + (1 << 18)]) for at in range(0, len(data), 1 << 18)):
            scan_content(data, starts)

    first = [bytes(data[starts[i] : starts[i + 1] - 1]) for i in range(SCREEN)]
    lexer = lexer_for(os.fsdecode(tui.BIG_PATH))

    def open_first() -> None:
        fresh = SnapshotSource(snap, path)  # no checked content kept between runs
        opened = fresh.open(tui.BIG_PATH)
        opened.document.lines(0, SCREEN)

    def reopen() -> None:
        Snapshot.open(path, trust).close()

    return {
        "Snapshot.open (rows, chunks digest)": timed(reopen, runs),
        "read whole blob": timed(lambda: snap.read(info.blob, 0, info.size), runs),
        "sha256 whole blob": timed(lambda: hashlib.sha256(data).digest(), runs),
        "facts pass (hash + line index)": timed(facts, runs),
        "unpack stored line index": timed(
            lambda: unpack_line_index(snap.line_index_bytes(info.blob)), runs
        ),
        "flags pass (may_flag, scan)": timed(flags, runs),
        "first screen: render_lines(50)": timed(lambda: render_lines(first, lexer), runs),
        "SnapshotSource.open + 50 lines": timed(open_first, runs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache-dir", default="/tmp/cleanroom-bench")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    current, meta = tui.big_snapshot(cache, args.lines)
    out: dict[str, Any] = {"load": os.getloadavg(), "bytes": meta["bytes"], "runs": args.runs}
    old = old_snapshot(cache, args.lines)
    if old is not None:
        out["whole-blob snapshot"] = measure(old, args.runs)
    out["chunked snapshot"] = measure(current, args.runs)
    out["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print(f"{args.lines:,} lines, {meta['bytes'] / 1e6:.1f} MB; medians of {args.runs}; "
          f"load {out['load'][0]:.1f} -> {out['load_after'][0]:.1f}")  # fmt: skip
    for kind in ("whole-blob snapshot", "chunked snapshot"):
        if kind not in out:
            continue
        print(f"\n{kind}:")
        for part, t in out[kind].items():
            print(f"  {part:36} {t['ms']:9.1f} ms  (cpu {t['cpu_ms']:8.1f} ms)")


if __name__ == "__main__":
    main()
