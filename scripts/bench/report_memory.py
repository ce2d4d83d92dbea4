#!/usr/bin/env python3
"""Peak memory of `cleanroom report` on one large ledger, by entries.

    .venv/bin/python scripts/bench/report_memory.py                 # 200k and 700k, .html
    .venv/bin/python scripts/bench/report_memory.py --entries 200000 --formats html json
    .venv/bin/python scripts/bench/report_memory.py --code /tmp/base   # git archive of a commit
    .venv/bin/python scripts/bench/report_memory.py --entries 250000 --copies 0 2 4

Each run is the real command in a subprocess under `/usr/bin/time -v`; the figure
is its "Maximum resident set size" (the largest of the process and its verify
workers, each counted alone) with its CPU seconds (user + system) and wall time.
With --copies, the report is also given that many byte copies of the ledger
(counted once; ADR 0309: never decoded). The ledgers are `forensics.py`'s
synthetic review sessions (real encoding, a fresh Ed25519 key per entry), built
once into --cache-dir. This script reports, it never asserts: the machine is
shared, so give the load (printed) with any figure.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))

import forensics as bench  # the synthetic snapshot and ledgers

PYTHON = bench.ROOT / ".venv" / "bin" / "python"


def measure(
    ledger: Path, snap: Path, trust: Path, target: Path, code: Path | None = None
) -> dict[str, float]:
    target.unlink(missing_ok=True)
    # With --code, the package in that directory (say, an older commit's `git
    # archive`): its CLI is called directly, as `-m cleanroom` re-executes itself
    # isolated (`-I`), which would import the installed package instead.
    call = f"import sys; sys.path.insert(0, {str(code)!r}); from cleanroom.cli import main; main()"
    run = [str(bench.CLEANROOM)] if code is None else [str(PYTHON), "-c", call]
    cmd = ["/usr/bin/time", "-v", *run, "report", str(ledger), "--snapshot", str(snap),
           "--trust", str(trust), "-o", str(target)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=code)
    if proc.returncode != 0:
        raise SystemExit(f"report failed ({proc.returncode}):\n{proc.stderr[-3000:]}")

    def field(name: str) -> str:
        found = re.search(rf"^\s*{re.escape(name)}: (.+)$", proc.stderr, re.M)
        assert found, name
        return found.group(1)

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
    return {
        "peak_mib": int(field("Maximum resident set size (kbytes)")) / 1024,
        "cpu_s": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "wall_s": sum(float(x) * 60**i for i, x in enumerate(reversed(wall))),
        "bytes": target.stat().st_size,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entries", type=int, nargs="+", default=[200_000, 700_000])
    ap.add_argument("--formats", nargs="+", default=["html"])
    ap.add_argument("--copies", type=int, nargs="+", default=[0], help="byte copies given too")
    ap.add_argument("--code", type=Path, help="run the cleanroom package in this directory")
    ap.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "cleanroom-bench"
    )
    args = ap.parse_args()
    cache = args.cache_dir / "forensics"
    cache.mkdir(parents=True, exist_ok=True)
    snap, trust, files = bench.snapshot_for(cache)
    for n in args.entries:
        ledger_dir = bench.ledgers_for(cache, 1, n, snap, trust, files)
        ledger = next(ledger_dir.glob("*.ledger"))
        with tempfile.TemporaryDirectory(prefix="report-mem-", dir=cache) as out:
            for copies, fmt in ((c, f) for c in args.copies for f in args.formats):
                given = ledger
                if copies:  # the ledger and its copies, in one directory
                    given = Path(out) / f"copies{copies}"
                    given.mkdir(exist_ok=True)
                    for k in range(copies + 1):
                        if not (given / f"{k}.ledger").exists():
                            shutil.copyfile(ledger, given / f"{k}.ledger")
                load = os.getloadavg()[0]
                m = measure(given, snap, trust, Path(out) / f"report.{fmt}", args.code)
                print(f"{n:>9,} entries +{copies} copies .{fmt:<5} peak {m['peak_mib']:7.0f} MiB"
                      f"  cpu {m['cpu_s']:6.1f} s  wall {m['wall_s']:6.1f} s"
                      f"  out {m['bytes'] / 1e6:6.1f} MB  load {load:.1f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
