#!/usr/bin/env python3
"""`cleanroom recorder`'s start, restart and stop on a big snapshot (issue 13).

    .venv/bin/python scripts/bench/recorder_start.py             # the Linux 6.1 snapshot
    .venv/bin/python scripts/bench/recorder_start.py --runs 5
    .venv/bin/python scripts/bench/recorder_start.py --snapshot S --vendor-seed SEED

The real command, as a room runs it: a workstation.toml with a [recorder]
table (keys and a certificate made here, issued by the snapshot's vendor key),
`cleanroom recorder --config` started as a process. For each run:

- start: from exec to the socket appearing (the recorder listens only once it
  has opened the snapshot and the keys), and the recorder's CPU time by then;
- its VmRSS and VmHWM (peak) when the socket appears, before any request;
- after a terminal's `hello` (the session opens then: ledger, guard), VmRSS;
- stop: SIGTERM to exit.

The first run, in a fresh ledger directory, also checks the search index against the
signature (ADR 0104, ~13 s on Linux) and remembers it; the runs after it are
restarts, which is what the figures are for. The first run is reported apart.
Reports medians; never asserts.
"""

# ruff: noqa: E402

from __future__ import annotations

import argparse
import getpass
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT)]

import tui  # scripts/bench/tui.py: finds the Linux snapshot

from cleanroom.ledger.keys import (
    Certificate,
    Role,
    save_certificate,
    write_private_key,
    write_public_key,
)
from cleanroom.recorder.client import RemoteService
from tests.ledgerkit import CERT_END, CERT_START, seeded_key


def room(base: Path, snapshot: Path, seed: str, ledgers: Path) -> Path:
    """Keys, a certificate and a workstation.toml serving `snapshot`; the config."""
    keys = base / "keys"
    keys.mkdir(exist_ok=True)
    vendor, ws = seeded_key(seed), seeded_key("bench/recorder-start/ws")
    write_private_key(keys / "workstation.key", ws, role=Role.WORKSTATION)
    write_public_key(keys / "vendor.pub", vendor.public_key(), role=Role.VENDOR_ROOT)
    cert = Certificate.issue(vendor, "ws-bench", ws.public_key(), CERT_START, CERT_END)
    save_certificate(keys / "workstation.cert", cert)
    q = json.dumps
    config = base / "workstation.toml"
    config.write_text("\n".join([
        f"snapshot = {q(str(snapshot))}", f"ledger-dir = {q(str(ledgers))}",
        "create-ledger-dir = true", "allow-network = true",
        f"workstation-key = {q(str(keys / 'workstation.key'))}",
        f"cert = {q(str(keys / 'workstation.cert'))}", f"trust = {q(str(keys / 'vendor.pub'))}",
        'org = "Bench"', "", "[recorder]",
        f"socket = {q(str(base / 'r.sock'))}", f"reviewers = [{q('user:' + getpass.getuser())}]",
        "",
    ]))  # fmt: skip
    return config


def status_of(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM (peak), RssAnon and RssFile of a process, in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(rest.split()[0]) / 1024
    return out


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a live process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(config: Path, sock: Path, log: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    t0 = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "cleanroom", "recorder", "--config", str(config)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, cwd=ROOT,
        )  # fmt: skip
    try:
        while not sock.exists():
            if proc.poll() is not None:
                raise SystemExit(f"the recorder exited {proc.returncode}: {log.read_text()}")
            time.sleep(0.005)
        r: dict[str, Any] = {"start_s": time.perf_counter() - t0, "start_cpu_s": cpu_of(proc.pid)}
        r["listening_mb"] = status_of(proc.pid)
        t1 = time.perf_counter()
        service = RemoteService(sock)
        r["hello_s"] = time.perf_counter() - t1
        r["session_mb"] = status_of(proc.pid)
        service.seal()
        service.close()
    finally:
        t2 = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        r["stop_s"] = time.perf_counter() - t2
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--snapshot", type=Path, help="default: the Linux 6.1 snapshot under /tmp")
    ap.add_argument("--vendor-seed", help="tests.ledgerkit.seeded_key seed of its vendor")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.snapshot is None:
        found = tui.find_linux_snapshot(args.cache_dir)
        if found is None:
            print("no Linux 6.1 snapshot under /tmp; give --snapshot", file=sys.stderr)
            return 2
        args.snapshot, args.vendor_seed = found[0], found[1]
    if args.vendor_seed is None:
        ap.error("--snapshot needs --vendor-seed")
    base = Path(tempfile.mkdtemp(prefix="crs-", dir="/tmp"))
    try:
        config = room(base, args.snapshot, args.vendor_seed, base / "ledgers")  # a fresh room
        first = one_run(config, base / "r.sock", base / "recorder.log")  # checks the index once
        runs = [one_run(config, base / "r.sock", base / "recorder.log") for _ in range(args.runs)]
    finally:
        shutil.rmtree(base, ignore_errors=True)  # keys, ledgers and log of this run only

    def med(get: Any) -> float:
        return statistics.median(get(r) for r in runs)

    summary = {
        "snapshot": str(args.snapshot), "runs": len(runs), "load": os.getloadavg(),
        "restart_s": med(lambda r: r["start_s"]), "restart_cpu_s": med(lambda r: r["start_cpu_s"]),
        "listening_rss_mb": med(lambda r: r["listening_mb"]["VmRSS"]),
        "listening_hwm_mb": med(lambda r: r["listening_mb"]["VmHWM"]),
        "listening_anon_mb": med(lambda r: r["listening_mb"]["RssAnon"]),
        "hello_s": med(lambda r: r["hello_s"]),
        "session_rss_mb": med(lambda r: r["session_mb"]["VmRSS"]),
        "stop_s": med(lambda r: r["stop_s"]),
        "first_start": first, "each": runs,
    }  # fmt: skip
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        s = summary
        out = [
            f"snapshot {s['snapshot']}, {s['runs']} restarts, load {s['load'][0]:.2f}",
            f"  first start (index checked) {first['start_s']:.2f} s wall, "
            f"{first['start_cpu_s']:.2f} s CPU, RSS {first['listening_mb']['VmRSS']:.0f} MB",
            f"  restart to listening  {s['restart_s']:.2f} s wall, {s['restart_cpu_s']:.2f} s CPU",
            f"  RSS when listening    {s['listening_rss_mb']:.0f} MB "
            f"(peak {s['listening_hwm_mb']:.0f}, anon {s['listening_anon_mb']:.0f})",
            f"  hello (session opens) {s['hello_s']:.2f} s; RSS then {s['session_rss_mb']:.0f} MB",
            f"  SIGTERM to exit       {s['stop_s']:.2f} s",
        ]
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
