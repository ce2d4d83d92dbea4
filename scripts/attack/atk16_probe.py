"""atk16 probe: `cleanroom notes check` against evasions, boring and hostile notes.

Builds the small real-C snapshot of tests/noteskit.py, one sealed ledger of hostile
notes, runs the real `cleanroom notes check --json` (CPU time measured), and prints
per note whether it was flagged. Run: .venv/bin/python scripts/attack/atk16_probe.py
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

ZW = "\u200b"
HALF = len(QUOTE) // 2
CASES = {
    "exact quote": dict(body=QUOTE),
    "NBSP for spaces": dict(body=QUOTE.replace(" ", "\u00a0")),
    "ideographic spaces": dict(body=QUOTE.replace(" ", "\u3000")),
    "CRLF between words": dict(body=QUOTE.replace(" ", "\r\n")),
    "ZWSP after each space": dict(body=QUOTE.replace(" ", " " + ZW)),
    "soft hyphen inside words": dict(body=QUOTE.replace("ring", "ri\u00adng")),
    "upper case": dict(body=QUOTE.upper()),
    "quote in title": dict(title=QUOTE, body=""),
    "split title/body": dict(title=QUOTE[:HALF], body=QUOTE[HALF:]),
    "on a one-byte file, line 1": dict(body="x", path=b"drivers/frob/one.c", first=1, last=1),
    "on an empty file, line 1": dict(body="empty", path=b"drivers/frob/empty.c", first=1, last=1),
    "on a path not in the snapshot": dict(body=QUOTE, path=b"../../etc/passwd", first=1, last=1),
    "16 KiB of one character": dict(body="a" * 16384),
    "16 KiB of 'a '": dict(body="a " * 8192),
    "16 KiB of a source word": dict(body=("ring->head " * 2000)[:16384]),
    "16 KiB of the quote repeated": dict(body=((QUOTE + " ") * 300)[:16384]),
}


def main_() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        events = [note(i + 1, **kw) for i, kw in enumerate(CASES.values())]
        files = setup(Kit("atk16p"), Path(tmp), events)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        out = CliRunner().invoke(
            main,
            ["notes", "check", str(files["ledger"]), "--snapshot", str(files["snapshot"]),
             "--trust", str(files["trust"]), "--no-cache", "--json"],
        )  # fmt: skip
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - before
        print(f"exit {out.exit_code}; CPU {cpu:.2f} s for {len(events)} notes")
        doc = json.loads(out.stdout)
        by_id = {n["id"] if "id" in n else n["note"]: n for n in doc["notes"]}
        for i, name in enumerate(CASES):
            n = by_id.get(f"{i + 1:032x}")
            if n is None:
                print(f"  {name:32} NOT LISTED")
                continue
            frags = [(f["field"], len(f["text"])) for f in n["fragments"]]
            print(f"  {name:32} fragments={frags} rare={len(n['rare_names'])} "
                  f"unconfirmed={n['unconfirmed']}")  # fmt: skip
        print("skipped:", doc["skipped"])


if __name__ == "__main__":
    main_()
