"""Long names without a break never push the report wider than the window (outside
attack atk14, session 13).

Issue 14 asks that the main parts be laid out within the width in a real browser.
A vendor's snapshot name (up to 200 printable characters, no space needed) made
the header's label column so wide that the header's values (generated, trusted
keys, TAMPERED policy, snapshot ids) sat off screen to the right of rows hundreds
of pixels tall, at 800 and at 1400 px; a reviewer's name (cut at 256 characters)
made the whole page 4,657 px wide; and At a glance hid its columns behind a
sideways scroll. Real snapshot, real ledgers (the real writer, real keys), the
real `cleanroom report`, headless Chromium."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.events import Reviewer, SnapshotRef
from cleanroom.ledger.keys import raw_public
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.store import Snapshot
from tests.chromiumkit import Browser
from tests.forensicskit import trust_file
from tests.ledgerkit import Kit

LINES = 40
FILES = {b"src/a.c": 0, b"src/" + b"F" * 250 + b".c": 1}


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("atk14-layout")
    kit = Kit("atk14-layout")
    src = root / "src-tree"
    for path, i in FILES.items():
        full = os.path.join(os.fsencode(src), path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(b"".join(b"int v%d_%d;\n" % (i, k) for k in range(LINES)))
    snap = root / "s.snapshot"
    create_snapshot(src, snap, kit.vendor, "N" * 200, "V" * 200, created=1_790_000_000)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    with Snapshot.open(snap, kit.trust) as s:
        ref = SnapshotRef(s.id, s.manifest.root)
        blobs = {p: s.stat(p).blob.hex() for p in FILES}
    ledger = Ledger.create(
        ledgers, kit.workstation, Reviewer("W" * 300, "O" * 300, raw_public(kit.reviewer).hex()),
        ref, None, clock=kit.clock, keygen=kit.keys,
        ledger_id=hashlib.sha256(b"atk14-layout").digest()[:16],
    )  # fmt: skip
    for p, blob in blobs.items():
        ledger.append(FileOpen(p, blob, LINES * 12, LINES, {}))
        ledger.append(View(p, blob, 1, 30, 0, 100))
    ledger.seal("reviewer", kit.reviewer)
    ledger.close()
    out = root / "report.html"
    args = ["report", str(ledgers), "--snapshot", str(snap), "--trust",
            str(trust_file(kit, root)), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


WIDTHS = """(() => ({
  page: [document.documentElement.scrollWidth, innerWidth],
  tables: [...document.querySelectorAll('header table, #glance table')]
    .map(t => [t.className || 'header', t.scrollWidth, t.clientWidth]),
}))()"""


@pytest.mark.parametrize("width", [1400, 800])
def test_long_names_stay_within_the_window(page_file, browser, width):
    page = browser.page(width)
    page.open(page_file)
    assert page.problems() == []
    box = page.eval(WIDTHS)
    assert box["page"][0] <= box["page"][1], box  # nothing wider than the window
    assert len(box["tables"]) == 3, box
    hidden = [t for t in box["tables"] if t[1] > t[2]]
    assert hidden == [], box  # no header value or column behind a sideways scroll
