#!/usr/bin/env python3
"""Are a report's outputs byte-identical between two versions of the code?

    git archive 5da3835 | tar -x -C /tmp/old
    .venv/bin/python scripts/bench/report_same.py --code /tmp/old --code . [--ledger-dir DIR]

Each version (a source tree) runs in its own process: `read_evidence`,
`build_report` and the four writers on one ledger of `scripts/bench/forensics.py`
(the 100k one by default; build it with that script first), with the report's
`generated` time fixed. Prints each file's size and SHA-256 and whether the
versions agree (exit 1 if not), and the CPU seconds of each version's reading
process (its forked verifying child is not counted: see forensics.py for that).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "cleanroom-bench" / "forensics"
CHILD = r"""
import gc, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from cleanroom.cli.report import WRITERS
from cleanroom.forensics.report import Analyser, analyse, build_report
from cleanroom.forensics.timeline import read_evidence
from cleanroom.ledger.keys import Role, load_public_key
from cleanroom.snapshot.store import Snapshot
cache, ledger, out = Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
key = load_public_key(cache / "vendor.pub", role=Role.VENDOR_ROOT, unmarked_ok=True)
trust = [key.public_bytes_raw()]
gc.disable()
t0 = time.process_time()
with Snapshot.open(cache / "snapshot-v1.snapshot", trust) as snap:
    ev = read_evidence([ledger], trust, False, None, None, analyse, digest=Analyser)
    r = build_report(ev, trust, [snap], False)
    r.generated = "2026-01-01T00:00:00Z"
    for ext, write in WRITERS.items():
        with open(out / f"report{ext}", "w") as f:
            write(r, f)
print(f"{time.process_time() - t0:.2f}")
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--code", action="append", type=Path, required=True, help="a source tree (twice)"
    )
    ap.add_argument("--ledger-dir", type=Path, default=CACHE / "ledgers-1x100000-v2")
    args = ap.parse_args()
    ledger = next(args.ledger_dir.glob("*.ledger"))
    digests = []
    with tempfile.TemporaryDirectory(prefix="report-same-") as tmp:
        for n, code in enumerate(args.code):
            out = Path(tmp) / str(n)
            out.mkdir()
            cpu = subprocess.run([sys.executable, "-c", CHILD, str(code.resolve()), str(CACHE),
                                  str(ledger), str(out)], check=True, capture_output=True,
                                 text=True).stdout.strip()  # fmt: skip
            files = {p.name: (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
                     for p in sorted(out.iterdir())}  # fmt: skip
            digests.append(files)
            print(f"{code}: CPU {cpu} s")
            for name, (size, digest) in files.items():
                print(f"  {name:<13}{size:>12,} bytes  {digest[:16]}")
    same = all(d == digests[0] for d in digests)
    print("identical" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
