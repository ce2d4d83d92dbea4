#!/usr/bin/env python3
"""atk14: a ledger of N tiny screens over one file of a million lines: does the
report stay bounded (time, memory, page size) when every view is its own run?

    PYTHONPATH=. .venv/bin/python scripts/attack/atk14_tiny.py /tmp/atk14-tiny --entries 100000

Each view shows one line, a different one each time (line i*7919 mod 1,000,000),
so the file's coverage has ~2 runs per view, the heat strip and the hottest
ranges are computed over them, and the timeline has one row per view (no two
alike). Entries are signed through the real encoding (`scripts/bench/forensics.py`
`signed_rows`). Runs `cleanroom report` to .html, .json, .csv and .jsonl under
/usr/bin/time -v and prints wall seconds, CPU seconds, peak RSS and file sizes.
Reports; never asserts.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))

from forensics import START_US, signed_rows, write_ledger

from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.keys import Certificate, Role, write_public_key
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import CERT_END, CERT_START, seeded_key

BIG = 1_000_000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path)
    ap.add_argument("--entries", type=int, default=100_000)
    a = ap.parse_args()
    root: Path = a.dir
    root.mkdir(parents=True, exist_ok=True)
    vendor = seeded_key("atk14-tiny/vendor")
    trust = root / "vendor.pub"
    if not trust.exists():
        write_public_key(trust, vendor.public_key(), role=Role.VENDOR_ROOT)
    snap = root / "big.snapshot"
    if not snap.exists():
        (root / "src").mkdir(exist_ok=True)
        (root / "src" / "big.c").write_bytes(b"x;\n" * BIG)
        create_snapshot(root / "src", snap, vendor, "big", "1", created=1_780_000_000)
    ledgers = root / f"ledgers-{a.entries}"
    if not ledgers.exists():
        ledgers.mkdir()
        with Snapshot.open(snap, [vendor.public_key().public_bytes_raw()]) as s:
            ref = SnapshotRef(s.id, s.manifest.root)
            blob = s.stat(b"big.c").blob.hex()
        events = [FileOpen(b"big.c", blob, 3 * BIG, BIG, {})]
        for i in range(a.entries - 3):
            line = (i * 7919) % BIG + 1
            events.append(View(b"big.c", blob, line, line, 0, 80))
        ws = seeded_key("atk14-tiny/ws")
        cert = Certificate.issue(vendor, "ws-01", ws.public_key(), CERT_START, CERT_END)
        reviewer = seeded_key("atk14-tiny/reviewer")
        lid = hashlib.sha256(b"atk14-tiny").digest()[:16]
        rows = signed_rows(a.entries, lid, ws, cert, reviewer, ref, None, START_US, events)
        write_ledger(ledgers / "tiny.ledger", rows)
    for ext in ("html", "json", "csv", "jsonl"):
        out = root / f"report-{a.entries}.{ext}"
        cmd = ["/usr/bin/time", "-v", str(ROOT / ".venv/bin/cleanroom"), "report", str(ledgers),
               "--snapshot", str(snap), "--trust", str(trust), "-o", str(out)]  # fmt: skip
        p = subprocess.run(cmd, capture_output=True, text=True)
        t = p.stderr

        def field(name: str, text: str = t) -> str:
            m = re.search(rf"{name}: (.*)", text)
            return m.group(1).strip() if m else "?"

        cpu = float(field(r"User time \(seconds\)")) + float(field(r"System time \(seconds\)"))
        wall = field(r"Elapsed \(wall clock\) time.*?")
        rss = int(field(r"Maximum resident set size.*?")) // 1024
        size = out.stat().st_size if out.exists() else 0
        print(f"{ext:6} exit {p.returncode}  wall {wall}  cpu {cpu:.1f} s  rss {rss} MiB"
              f"  {size:,} bytes", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
