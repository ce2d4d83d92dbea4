#!/usr/bin/env python3
"""What hostile or huge inputs cost the forensic outputs (issue 10, section 6).

    .venv/bin/python scripts/bench/outputs.py              # ours only
    .venv/bin/python scripts/bench/outputs.py --difflib    # also the old line mapping

To compare with an older tree, copy this script into it and run it there with
`--skip-map --lines 10000000` (the old coverage takes about 40 bytes per line).

Each row is one shape, timed in this process, with its peak traced memory
(tracemalloc, Python allocations only; time is the best of 3 untraced runs):

- `map`: who-viewed's line mapping between two versions (`versions.map_lines`)
  on 20k and 50k lines: repeated lines with one edit, a realistic source file
  with a block inserted, and lines repeated in another order. `--difflib` also
  times the mapping as it was (difflib.SequenceMatcher, autojunk off), with a
  timeout per case, in a child process.
- `coverage`: the report's coverage of one view at the end of a file of 10^8
  lines (the 100 MB file of newlines), and of 20k views spread over it.
- `html`: bytes of the HTML coverage section per file version, for 10k files.
- `--big-report MB`: end to end, `cleanroom report` (JSON and HTML) on a ledger
  that views the last lines of a snapshot file of MB megabytes of newlines:
  wall time and peak RSS of the child process.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cleanroom.forensics import report_html  # noqa: E402
from cleanroom.forensics.coverage import coverage  # noqa: E402
from cleanroom.forensics.report import CoverageGroup  # noqa: E402
from cleanroom.forensics.screen import Shown, Viewport  # noqa: E402
from cleanroom.forensics.versions import map_lines  # noqa: E402
from cleanroom.ledger.verdict import Status  # noqa: E402


def shapes(n: int) -> dict[str, tuple[list[bytes], list[bytes]]]:
    repeated = [b"    x = 0;"] * n
    edited = list(repeated)
    edited[n // 2] = b"    x = 1;"
    source = [b"int line_%d = %d;" % (i, i % 97) for i in range(n)]
    inserted = source[: n // 3] + [b"// new %d" % i for i in range(100)] + source[n // 3 :]
    pairs = [b"a", b"b"] * (n // 2)
    return {
        f"{n // 1000}k repeated lines, one edited": (repeated, edited),
        f"{n // 1000}k source lines, 100 inserted": (source, inserted),
        f"{n // 1000}k lines a b a b vs b a b a": (pairs, pairs[1:] + pairs[:1]),
    }


def measure(fn: Callable[[], object]) -> tuple[float, int, object]:
    """Seconds (best of 3, untraced) and peak traced bytes (one more, traced run)."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, out


def _difflib_map(old: list[bytes], new: list[bytes], first: int, last: int) -> object:
    import difflib

    lo, hi = first - 1, last
    found: list[int] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        start, stop = max(a, lo), min(a + size, hi)
        if start < stop:
            found += [b + (start - a), b + (stop - a) - 1]
    return (min(found) + 1, max(found) + 1) if found else None


def _child(old, new, first, last, conn) -> None:
    t = time.perf_counter()
    out = _difflib_map(old, new, first, last)
    conn.send((time.perf_counter() - t, out))


def difflib_time(old, new, first, last, timeout: float) -> str:
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_child, args=(old, new, first, last, child))
    proc.start()
    if parent.poll(timeout):
        seconds, out = parent.recv()
        proc.join()
        return f"{seconds:8.2f} s  -> {out}"
    proc.kill()
    proc.join()
    return f"  > {timeout:.0f} s (stopped)"


def row(name: str, seconds: float, peak: int, extra: str = "") -> None:
    print(f"{name:48} {seconds * 1000:10.1f} ms {peak / 1e6:9.1f} MB  {extra}", flush=True)


def bench_map(sizes: list[int], with_difflib: bool, timeout: float) -> None:
    print("\nmap_lines (who-viewed, one query)")
    for n in sizes:
        for name, (old, new) in shapes(n).items():
            first, last = n // 2 - 10, n // 2 + 10
            query = functools.partial(map_lines, old, new, first, last)
            seconds, peak, out = measure(query)
            row(name, seconds, peak, f"-> {out}")
            if with_difflib:
                print(f"{'  difflib, as before':48} {difflib_time(old, new, first, last, timeout)}")


def _shown(path: bytes, blob: str, first: int, last: int, seq: int) -> Shown:
    return Shown(Viewport(path, blob, first, last, 0, 80, seq), seq, seq + 1, 1000, "view")


def bench_coverage(lines: int) -> None:
    print("\ncoverage (report)")
    one = [_shown(b"big.txt", "ab" * 32, lines - 40, lines, 1)]
    seconds, peak, _ = measure(lambda: coverage([("s", one)], {(b"big.txt", "ab" * 32): lines}))
    row(f"one view at the end of {lines:.0e} lines", seconds, peak)
    step = lines // 20_000
    spread = [_shown(b"big.txt", "ab" * 32, k * step + 1, k * step + 40, k) for k in range(20_000)]
    seconds, peak, files = measure(lambda: coverage([("s", spread)], {}))
    runs = getattr(files[0], "runs", None)  # absent before run-length coverage
    row(f"20k views over {lines:.0e} lines", seconds, peak, f"{len(runs or ())} runs")
    seconds, peak, _ = measure(lambda: files[0].heatmap(400))
    row("  its 400-cell heatmap", seconds, peak)


def bench_html(n: int) -> None:
    print("\nHTML coverage section")
    views = [_shown(b"f%05d.c" % i, f"{i:064x}", 1, 40, i) for i in range(n)]
    files = coverage([("s", views)], {})
    group = CoverageGroup("verified", files, {}, {"s": Status.INTACT})
    seconds, peak, text = measure(lambda: "".join(report_html._group(group)))
    row(f"{n} file versions", seconds, peak, f"{len(text) / 1e6:.1f} MB, "
        f"{len(text) / n / 1000:.2f} KB per file")  # fmt: skip


def big_report(megabytes: int) -> None:
    import os
    import subprocess
    import tempfile

    from cleanroom.ledger.events import SnapshotRef
    from cleanroom.ledger.keys import Role, write_public_key
    from cleanroom.ledger.writer import Ledger
    from cleanroom.session.events import FileOpen, View
    from cleanroom.snapshot.create import create_snapshot
    from cleanroom.snapshot.store import Snapshot
    from tests.ledgerkit import Kit

    print(f"\nreport on a view of the end of a {megabytes} MB file of newlines")
    kit = Kit("bench-outputs")
    with tempfile.TemporaryDirectory(prefix="cleanroom-bench-") as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        lines = megabytes * 1_000_000
        with open(root / "src" / "big.txt", "wb") as f:
            for _ in range(megabytes):
                f.write(b"\n" * 1_000_000)
        snap_path = root / "big.snapshot"
        create_snapshot(root / "src", snap_path, kit.vendor, name="big", version="1", created=1)
        with Snapshot.open(snap_path, kit.trust) as snap:
            blob = snap.stat(b"big.txt").blob.hex()
            ref = SnapshotRef(snap.id, snap.manifest.root)
        (root / "l").mkdir()
        led = Ledger.create(root / "l", kit.workstation, kit.reviewer_ref(), ref,
                            clock=kit.clock, keygen=kit.keys)  # fmt: skip
        led.append(FileOpen(b"big.txt", blob, lines, lines, {}))
        led.append(View(b"big.txt", blob, lines - 40, lines, 0, 80))
        led.seal()
        pub = root / "vendor.pub"
        write_public_key(pub, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
        exe = Path(sys.executable).parent / "cleanroom"
        for suffix in (".json", ".html"):
            # GNU time: the peak RSS of this one child (RUSAGE_CHILDREN would be the
            # largest of every child so far, the snapshot build's included).
            t = time.perf_counter()
            done = subprocess.run(
                ["/usr/bin/time", "-f", "%M", exe, "report", root / "l", "--snapshot",
                 snap_path, "--trust", pub, "-o", root / f"r{suffix}"],
                capture_output=True, text=True)  # fmt: skip
            seconds = time.perf_counter() - t
            rss_kb = int(done.stderr.strip().splitlines()[-1])
            size = os.path.getsize(root / f"r{suffix}") if done.returncode == 0 else 0
            status = "ok" if done.returncode == 0 else done.stderr[-300:]
            print(
                f"{'cleanroom report -o r' + suffix:48} {seconds:8.2f} s  peak RSS "
                f"{rss_kb / 1024:7.1f} MB  {size} bytes  {status}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--difflib", action="store_true", help="also time the old mapping")
    ap.add_argument("--timeout", type=float, default=120, help="per difflib case (s)")
    ap.add_argument("--sizes", default="20000,50000", help="lines per side")
    ap.add_argument("--lines", type=int, default=10**8, help="lines of the big file")
    ap.add_argument("--skip-map", action="store_true", help="coverage and HTML only")
    ap.add_argument("--big-report", type=int, metavar="MB", help="also the end-to-end report")
    args = ap.parse_args()
    if not args.skip_map:
        bench_map([int(x) for x in args.sizes.split(",")], args.difflib, args.timeout)
    bench_coverage(args.lines)
    bench_html(10_000)
    if args.big_report:
        big_report(args.big_report)


if __name__ == "__main__":
    main()
