"""atk16b probe (not part of the suite): `notes release` and `notes export` onto a
full file system. Needs a small tmpfs mounted at argv[1] (root:
`mount -t tmpfs -o size=16k tmpfs DIR`). Prints each command's exit code, output
and what it left in DIR."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from cleanroom.cli import main
from tests.ledgerkit import Kit
from tests.noteskit import note, setup

full = Path(sys.argv[1])
tmp = Path(tempfile.mkdtemp(prefix="atk16b-"))
os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
notes = [note(i, f"body {i} " + "words of a long note " * 300) for i in range(1, 9)]
files = setup(Kit("atk16b-full"), tmp, notes)
dec = tmp / "decisions.json"
ids = [f"{i:032x}" for i in range(1, 9)]
dec.write_text(json.dumps({"decisions": [{"note": i, "decision": "release"} for i in ids]}))
base = ["--snapshot", files["snapshot"], "--trust", files["trust"]]


def run(args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    print(args[:2], "exit", r.exit_code, "|", r.output.strip()[-300:].replace("\n", " / "))
    if r.exception and not isinstance(r.exception, SystemExit):
        print("  EXCEPTION", type(r.exception).__name__, r.exception)
    print("  left:", sorted((p.name, p.stat().st_size) for p in full.iterdir()))


common = [
    "--vendor-key",
    files["vendor_key"],
    "--decisions",
    dec,
    "--released-by",
    "V",
    "--org",
    "O",
]
run(["notes", "release", files["ledger"], *base, *common, "-o", full / "r.release"])
ok = tmp / "r.release"
run(["notes", "release", files["ledger"], *base, *common, "-o", ok])
for ext in ("md", "json", "sarif"):
    run(["notes", "export", ok, "--trust", files["trust"], "-o", full / f"f.{ext}"])
