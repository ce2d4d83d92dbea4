"""atk16b probe (not part of the suite): hostile decisions files and release files
to `notes release`, `notes verify` and `notes export`, each in a child process
with a time limit. Prints exit code and the last line of output per case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.ledgerkit import Kit
from tests.noteskit import DESCRIBES, note, setup

tmp = Path(tempfile.mkdtemp(prefix="atk16b-in-"))
os.environ["CLEANROOM_CACHE_DIR"] = str(tmp / "cache")
files = setup(Kit("atk16b-in"), tmp, [note(1, DESCRIBES), note(2, "two")])
ID1 = f"{1:032x}"
fifo = tmp / "fifo"
os.mkfifo(fifo)
cases = {
    "empty": b"",
    "one byte": b"{",
    "not utf-8": b'{"decisions": [{"note": "\xff"}]}',
    "bom": b'\xef\xbb\xbf{"decisions": []}',
    "huge": b'{"decisions": [' + b'{"note": "x", "decision": "release"},' * 400000 + b"{}]}",
    "deep": b"[" * 200000 + b"]" * 200000,
    "dup note": json.dumps({"decisions": [{"note": ID1, "decision": "release"}] * 2}).encode(),
    "dup key": b'{"decisions": [], "decisions": [{"note": "%s", "decision": "release"}]}'
    % ID1.encode(),
    "nonce in decision": json.dumps(
        {"decisions": [{"note": ID1, "decision": "release", "nonce": "0" * 32}]}
    ).encode(),
    "redact nothing": json.dumps({"decisions": [{"note": ID1, "decision": "redact"}]}).encode(),
    "title NUL": json.dumps(
        {"decisions": [{"note": ID1, "decision": "redact", "title": "a\x00b"}]}
    ).encode(),
    "lone surrogate": b'{"decisions": [{"note": "%s", "decision": "redact", "title": "\\ud800"}]}'
    % ID1.encode(),
}
paths = {k: tmp / f"d-{i}.json" for i, k in enumerate(cases)}
for k, p in paths.items():
    p.write_bytes(cases[k])
paths["/dev/zero"] = Path("/dev/zero")
paths["fifo (no writer)"] = fifo
paths["directory"] = tmp
paths["symlink to /dev/zero"] = tmp / "zlink"
os.symlink("/dev/zero", paths["symlink to /dev/zero"])


def run(args: list, label: str) -> None:
    cmd = [sys.executable, "-m", "cleanroom", *map(str, args)]
    try:
        r = subprocess.run(
            cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
        )
        tail = (r.stdout + r.stderr).strip().splitlines()[-1:] or [""]
        bad = " TRACEBACK" if "Traceback" in r.stderr else ""
        print(f"{label:40} exit {r.returncode}{bad} | {tail[0][:150]}")
    except subprocess.TimeoutExpired:
        print(f"{label:40} HANG (120 s)")


for k, p in paths.items():
    out = tmp / f"out-{abs(hash(k))}.release"
    run(["notes", "release", files["ledger"], "--snapshot", files["snapshot"],
         "--trust", files["trust"], "--vendor-key", files["vendor_key"], "--decisions", p,
         "--released-by", "V", "--org", "O", "-o", out], f"release --decisions {k}")  # fmt: skip
    if out.exists():
        print(f"{'':40} wrote {out.stat().st_size} bytes")
for k, p in paths.items():
    run(["notes", "verify", p, "--trust", files["trust"]], f"verify {k}")
    run(
        ["notes", "export", p, "--trust", files["trust"], "-o", tmp / f"e{abs(hash(k))}.md"],
        f"export {k}",
    )
