#!/usr/bin/env python3
"""What a hostile site costs `cleanroom report`: peak memory and the HTML page's size.

    .venv/bin/python scripts/bench/hostile_report.py                 # 3,000 files, 3 snapshots
    .venv/bin/python scripts/bench/hostile_report.py --files 300 --ledgers 2 --json

The site (issue 14, outside attack atk14c): --snapshots snapshots of one tree of
--files files under --dirs directories, every path about 3 KB of ESC and quote
bytes (the sanitizer and HTML escaping each make them longer); --ledgers sealed
ledgers spread over the snapshots, each opening every file and viewing two
ranges of it. Built once under --cache-dir (snapshots signed and ledgers
certified by one vendor key, `seeded_key("bench-forensics/vendor")`).

Rows: `cleanroom report` to .html and to .json, each run in a child under
/usr/bin/time -v: wall seconds, peak RSS (MiB), the file's size; and the HTML
page split by section (bytes of each `<section id=...>`, the file details and
the maps). To measure older code, run with its tree first on PYTHONPATH (the
child runs `python -m cleanroom`). Reports, never asserts.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))
sys.path.append(str(ROOT / "scripts" / "bench"))

from forensics import START_US, signed_rows, write_ledger

from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.keys import Certificate, Role, write_public_key
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import CERT_END, CERT_START, seeded_key

PART = (b'\x1b"' * 125)[:250]  # 250 bytes that grow when tagged and escaped
DEPTH = 10  # directories of 250 bytes above the per-directory one: ~3 KB a path
LINES = 40  # lines in each file
VENDOR = "bench-forensics/vendor"


def tree(src: Path, files: int, dirs: int) -> None:
    base = os.path.join(os.fsencode(src), *([PART] * DEPTH))
    for i in range(files):
        d = os.path.join(base, PART[:240] + b"%06d" % (i % dirs))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, PART[:240] + b"%06d" % i), "wb") as f:
            f.write(b"".join(b"int x%d_%d;\n" % (i, k) for k in range(LINES)))


def build(cache: Path, a: argparse.Namespace) -> tuple[Path, list[Path], Path]:
    site = cache / f"hostile-report-{a.files}f-{a.dirs}d-{a.snapshots}s-{a.ledgers}l"
    done = site / ".complete"
    snaps = [site / f"s{k}.snapshot" for k in range(a.snapshots)]
    trust = site / "vendor.pub"
    if done.exists():
        return site / "ledgers", snaps, trust
    site.mkdir(parents=True, exist_ok=True)
    vendor = seeded_key(VENDOR)
    if not trust.exists():
        write_public_key(trust, vendor.public_key(), role=Role.VENDOR_ROOT)
    src = site / "src"
    if not src.exists():
        tree(src, a.files, a.dirs)
    for k, out in enumerate(snaps):
        if not out.exists():
            create_snapshot(src, out, vendor, "hostile", f"1.{k}", created=0)
    ledgers = site / "ledgers"
    ledgers.mkdir(exist_ok=True)
    for j in range(a.ledgers):  # one workstation each: every ledger starts its chain
        ws_key = seeded_key(f"bench-forensics/ws/hostile/{j}")
        cert = Certificate.issue(vendor, f"ws-{j:03d}", ws_key.public_key(), CERT_START, CERT_END)
        with Snapshot.open(snaps[j % len(snaps)], [vendor.public_key().public_bytes_raw()]) as s:
            ref = SnapshotRef(s.id, s.manifest.root)
            events = []
            for path, raw_blob, lines, _, size in s.file_lines():
                blob = raw_blob.hex()
                events.append(FileOpen(path, blob, size, lines, {}))
                events += [View(path, blob, 1, 10, 0, 80), View(path, blob, 5 + j, 30, 0, 80)]
        n = len(events) + 2
        ledger_id = hashlib.sha256(f"hostile-report/{j}".encode()).digest()[:16]
        start = START_US + j * (n + 100) * 1000
        rows = signed_rows(n, ledger_id, ws_key, cert, seeded_key(f"r{j}"), ref, None, start,
                           events)  # fmt: skip
        write_ledger(ledgers / f"{j:03d}-{ledger_id.hex()[:8]}.ledger", rows)
    done.write_text("")
    return ledgers, snaps, trust


def run_report(ledgers: Path, snaps: list[Path], trust: Path, out: Path) -> dict[str, object]:
    argv = ["/usr/bin/time", "-v", sys.executable, "-m", "cleanroom", "report", str(ledgers),
            "--trust", str(trust), "-o", str(out)]  # fmt: skip
    for s in snaps:
        argv += ["--snapshot", str(s)]
    t = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    row: dict[str, object] = {"exit": proc.returncode, "wall_s": round(wall, 1),
                              "peak_rss_mib": int(rss.group(1)) // 1024 if rss else None,
                              "bytes": out.stat().st_size if out.exists() else None}  # fmt: skip
    if proc.returncode not in (0, 3):
        row["stderr"] = proc.stderr[-2000:]
    return row


def sections(page: str) -> dict[str, int]:
    """UTF-8 bytes of each top-level section, the file details and the maps."""
    out: dict[str, int] = {}
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<section id="([a-z-]+)">', page)]
    for (a, name), (b, _) in zip(starts, [*starts[1:], (len(page), "")], strict=True):
        out[name] = len(page[a:b].encode())
    out["file details"] = sum(
        len(m.group().encode()) for m in re.finditer(r'<details id=".*?</details>', page, re.S)
    )
    out["maps (svg)"] = sum(
        len(m.group().encode()) for m in re.finditer(r"<svg.*?</svg>", page, re.S)
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--dirs", type=int, default=300)
    ap.add_argument("--snapshots", type=int, default=3)
    ap.add_argument("--ledgers", type=int, default=6)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench/fix14"))
    ap.add_argument("--out-dir", type=Path, default=None, help="keep the reports here")
    ap.add_argument("--formats", default="html,json")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    a.cache_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    ledgers, snaps, trust = build(a.cache_dir, a)
    size = sum(p.stat().st_size for p in ledgers.iterdir())
    result: dict[str, object] = {"site": str(ledgers.parent),
                                 "build_s": round(time.perf_counter() - t, 1),
                                 "ledger_mb": round(size / 1e6, 1)}  # fmt: skip
    out_dir = a.out_dir or ledgers.parent / "out"
    out_dir.mkdir(exist_ok=True)
    for fmt in a.formats.split(","):
        out = out_dir / f"report.{fmt}"
        result[fmt] = run_report(ledgers, snaps, trust, out)
        if fmt == "html" and out.exists():
            result["html_sections"] = sections(out.read_text(encoding="utf-8"))
    result["load"] = os.getloadavg()
    if a.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
