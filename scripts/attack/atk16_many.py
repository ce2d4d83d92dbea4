"""atk16 probe: 10,000 notes (a 16 KiB body of one repeated character each, every
tenth quoting ring.c) through the real check, release, verify and export; prints
each command's CPU time. Run: .venv/bin/python scripts/attack/atk16_many.py [N]
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from click.testing import CliRunner  # noqa: E402

from cleanroom.cli import main  # noqa: E402
from tests.ledgerkit import Kit  # noqa: E402
from tests.noteskit import QUOTE, note, setup  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(label: str, args: list[str]) -> None:
    t = cpu()
    out = CliRunner().invoke(main, args)
    print(f"{label:8} exit {out.exit_code}  CPU {cpu() - t:6.2f} s  {out.output.strip()[-90:]!r}")


def main_() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    tmp = Path(tempfile.mkdtemp())
    events = [
        note(i + 1, QUOTE if i % 10 == 0 else chr(ord("a") + i % 26) * 16384) for i in range(n)
    ]
    t = cpu()
    files = setup(Kit("atk16m"), tmp, events)
    print(
        f"{n} notes written in {cpu() - t:.1f} s CPU; "
        f"ledger {files['ledger'].stat().st_size >> 20} MiB"
    )
    common = ["--snapshot", str(files["snapshot"]), "--trust", str(files["trust"]), "--no-cache"]
    timed("check", ["notes", "check", str(files["ledger"]), *common, "--json"])
    dec = tmp / "dec.json"
    dec.write_text(json.dumps({"decisions": [
        {"note": f"{i + 1:032x}", "decision": "release"} for i in range(n)]}))  # fmt: skip
    rel = tmp / "r.release"
    timed("release", ["notes", "release", str(files["ledger"]), *common, "--vendor-key",
                      str(files["vendor_key"]), "--decisions", str(dec), "--released-by", "V",
                      "--org", "O", "-o", str(rel)])  # fmt: skip
    print(f"release file {rel.stat().st_size >> 20} MiB")
    timed("verify", ["notes", "verify", str(rel), "--trust", str(files["trust"])])
    for suffix in (".sarif", ".md", ".json"):
        timed(suffix, ["notes", "export", str(rel), "--trust", str(files["trust"]),
                       "-o", str(tmp / f"x{suffix}")])  # fmt: skip


if __name__ == "__main__":
    main_()
