"""atk16 probe: hostile ledger files given to `notes check`, and hostile output paths
given to `notes export`. Prints each case's exit status and first line of output.
Run: .venv/bin/python scripts/attack/atk16_files.py
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from click.testing import CliRunner  # noqa: E402

from cleanroom.cli import main  # noqa: E402
from tests.ledgerkit import Kit  # noqa: E402
from tests.noteskit import QUOTE, note, setup  # noqa: E402


def run(args: list[str]) -> str:
    out = CliRunner().invoke(main, args)
    tb = " TRACEBACK" if out.exc_info and out.exit_code not in (0, 1, 2, 3) else ""
    first = (out.output.strip().splitlines() or [""])[-1][:110]
    return f"exit {out.exit_code}{tb}: {first}"


def main_() -> None:
    tmp = Path(tempfile.mkdtemp())
    files = setup(Kit("atk16f"), tmp, [note(1, QUOTE)])
    good = files["ledger"]
    common = ["--snapshot", str(files["snapshot"]), "--trust", str(files["trust"]), "--no-cache"]
    cases = {}
    d = tmp / "h"
    d.mkdir()
    (d / "garbage.ledger").write_bytes(b"not sqlite at all\n" * 10)
    cases["not SQLite"] = d / "garbage.ledger"
    data = good.read_bytes()
    (d / "trunc.ledger").write_bytes(data[: len(data) // 2])
    cases["truncated to half"] = d / "trunc.ledger"
    (d / "empty.ledger").write_bytes(b"")
    cases["empty file"] = d / "empty.ledger"
    shutil.copy(good, d / "wal.ledger")
    (d / "wal.ledger-wal").write_bytes(b"\x37\x7f\x06\x82" + os.urandom(4096))
    (d / "wal.ledger-journal").write_bytes(os.urandom(512))
    cases["garbage -wal and -journal sidecars"] = d / "wal.ledger"
    shutil.copy(good, d / "locked.ledger")
    cases["exclusively locked"] = d / "locked.ledger"
    os.symlink("/dev/zero", d / "zero.ledger")
    cases["symlink to /dev/zero"] = d / "zero.ledger"
    os.mkfifo(d / "fifo.ledger")
    cases["a FIFO"] = d / "fifo.ledger"
    lock = sqlite3.connect(d / "locked.ledger", isolation_level=None)
    lock.execute("PRAGMA locking_mode=EXCLUSIVE")
    lock.execute("BEGIN EXCLUSIVE")
    for name, path in cases.items():
        print(f"check, {name:36} {run(['notes', 'check', str(path), *common])}")
    lock.close()
    # export paths
    dec = tmp / "dec.json"
    dec.write_text(json.dumps({"decisions": [{"note": f"{1:032x}", "decision": "release"}]}))
    rel = tmp / "r.release"
    print("release:", run(["notes", "release", str(good), *common, "--vendor-key",
                           str(files["vendor_key"]), "--decisions", str(dec), "--released-by",
                           "V", "--org", "O", "-o", str(rel)]))  # fmt: skip
    exp = ["notes", "export", str(rel), "--trust", str(files["trust"]), "-o"]
    existing = tmp / "exists.md"
    existing.write_text("the vendor's own file\n")
    print("export over an existing file:", run([*exp, str(existing)]),
          "| kept:", existing.read_text() == "the vendor's own file\n")  # fmt: skip
    target = tmp / "victim.txt"
    target.write_text("victim\n")
    os.symlink(target, tmp / "link.md")
    print("export onto a symlink:", run([*exp, str(tmp / "link.md")]),
          "| victim kept:", target.read_text() == "victim\n",
          "| link replaced:", not (tmp / "link.md").is_symlink())  # fmt: skip
    print("export to a missing directory:", run([*exp, str(tmp / "no" / "x.md")]))
    print("export to .SARIF upper:", run([*exp, str(tmp / "x.SARIF")]))
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main_()
