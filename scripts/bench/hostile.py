#!/usr/bin/env python3
"""Time and peak memory of the verifiers on hostile files and on a genuine ledger.

    .venv/bin/python scripts/bench/hostile.py                 # the hostile shapes (~30 s)
    .venv/bin/python scripts/bench/hostile.py --genuine 1000000 --runs 1

Each hostile shape (tests/hostile_sqlite.py, tests/attack/) is built in a
temporary directory and given to the real CLI under a 1.5 GB address-space
limit and a 60 s timeout, as tests/test_hostile_shapes.py does; the table gives
the exit code, wall seconds and the peak RSS of the process and its workers
(from wait4). `--genuine N` also verifies a sealed N-entry ledger (built once by
scripts/bench/ledger.py's cache) with the default pool and with one worker.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))

from cleanroom.ledger.keys import Role, write_public_key  # noqa: E402
from tests import forensicskit, hostile_sqlite  # noqa: E402
from tests.attack.huge_schema import build as huge_schema  # noqa: E402
from tests.attack.shared_overflow import build as shared_overflow  # noqa: E402
from tests.ledgerkit import Kit  # noqa: E402
from tests.test_hostile_shapes import CLI, run_bounded  # noqa: E402

LEDGERS = {
    "entries is an endless view of 1 MB blobs": hostile_sqlite.view_of_big_blobs,
    "entries is an endless sorted view": hostile_sqlite.sorted_endless_view,
    "b-tree whose pages share children": hostile_sqlite.shared_subtree_ledger,
    "20,000 rows sharing one overflow chain": lambda p: shared_overflow(p, 20_000),
    "120,000 bad rows (11 MB)": hostile_sqlite.many_bad_rows,
    "sqlite_schema of 100,000 objects": lambda p: huge_schema(p, 100_000),
}


def row(name: str, args: list, scratch: Path) -> None:
    status, _, seconds, rss = run_bounded(args, scratch)
    print(f"{name:<46} {args[1]:<10} exit {status}  {seconds:7.2f} s  {rss / 1024:7.0f} MiB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genuine", type=int, default=0, help="also verify a genuine N-entry ledger")
    ap.add_argument("--runs", type=int, default=1, help="runs of each measurement")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cleanroom-hostile-") as tmp:
        tmp_path = Path(tmp)
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        kit = Kit("hostile-bench")
        trust = tmp_path / "vendor.pub"
        write_public_key(trust, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
        snapshot = forensicskit.make_snapshot(kit, tmp_path / "snap")
        for i, (name, build) in enumerate(LEDGERS.items()):
            ledger = build(tmp_path / f"{i}.ledger")
            for _ in range(args.runs):
                row(name, [CLI, "verify", ledger, "--trust", trust], scratch)
                report = [CLI, "report", ledger, "--trust", trust, "--snapshot", snapshot]
                row(name, [*report, "-o", tmp_path / "r.json", "--include-tampered"], scratch)
        view = hostile_sqlite.snapshot_with_endless_files_view(tmp_path / "v.snapshot")
        for _ in range(args.runs):
            row("snapshot: files is an endless view", [CLI, "snapshot", "verify", view,
                "--trust", trust, "--rebuild-index"], scratch)  # fmt: skip
        if args.genuine:
            import ledger as bench_ledger  # scripts/bench/ledger.py

            path, _ = bench_ledger.ledger_for(args.genuine, Path("/tmp/cleanroom-bench"))
            bench = Path(tmp) / "bench.pub"
            write_public_key(bench, Kit("bench").vendor.public_key(), role=Role.VENDOR_ROOT)
            for _ in range(args.runs):
                for workers in ([], ["--workers", "1"]):
                    name = f"genuine {args.genuine:,} entries {' '.join(workers) or 'pool'}"
                    row(name, [CLI, "verify", path, "--trust", bench, *workers], scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
