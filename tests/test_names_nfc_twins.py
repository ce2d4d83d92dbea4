"""Two files whose names differ only by Unicode normalisation never look alike
(docs/threat-model.md, the sanitizer): `café.c` in NFC and in NFD are two files of
the snapshot, and the terminal's tree and the HTML report must tell them apart.
The NFD name shows its combining mark as a tag; the NFC one is left as it is."""

from __future__ import annotations

import html
import unicodedata

from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, View
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.store import Snapshot
from cleanroom.snapshot.verify import verify_bytes
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.filetree import FileTree
from tests.forensicskit import make_snapshot, trust_file
from tests.snapshotkit import edited
from tests.test_tui_review import start

NFC = unicodedata.normalize("NFC", "café.c").encode()
NFD = unicodedata.normalize("NFD", "café.c").encode()
FILES = {NFC: b"int composed;\n" * 3, NFD: b"int decomposed;\n" * 5}


def test_the_twins_are_two_files():
    assert NFC != NFD and unicodedata.normalize("NFC", NFD.decode()) == NFC.decode()


async def test_the_terminal_tree_tells_the_twins_apart(kit, ledger_dir, tmp_path):
    snap_path = make_snapshot(kit, tmp_path / "snap", FILES)
    source = SnapshotSource.from_file(snap_path, kit.trust)
    ledger = kit.new_ledger(ledger_dir)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
    app = ReviewApp(ReviewSession(Recorder(ledger), source, facts), countersigner=kit.reviewer)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        tree = app.query_one(FileTree)
        shown = {n.data.path: n.label.plain for n in tree.root.children}
    assert shown[NFD] != shown[NFC]
    assert shown[NFC].startswith("café.c") and shown[NFD].startswith("cafe⟨U+0301⟩.c")


def test_the_report_tells_the_twins_apart(kit, tmp_path):
    snap_path = make_snapshot(kit, tmp_path / "snap", FILES)
    with Snapshot.open(snap_path, kit.trust) as snap:
        blobs = {p: snap.stat(p).blob.hex() for p in FILES}
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    ledger = kit.new_ledger(ledgers, snapshot=ref)
    for p, b in blobs.items():
        ledger.append(FileOpen(p, b, len(FILES[p]), FILES[p].count(b"\n"), {}))
        ledger.append(View(p, b, 1, 2, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    out = tmp_path / "r.html"
    argv = ["report", str(ledgers), "--snapshot", str(snap_path), "--trust",
            str(trust_file(kit, tmp_path)), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = html.unescape(out.read_text(encoding="utf-8"))
    rows = [line for line in page.splitlines() if 'class="heatrow' in line]
    assert len(rows) == 2
    assert sum("cafe⟨U+0301⟩.c" in r for r in rows) == 1  # the NFD one, tagged
    assert sum("café.c" in r for r in rows) == 1  # the NFC one, as it is
    assert NFD.decode() not in page  # the raw NFD form is never on the page


def test_a_snapshot_made_before_the_rule_still_verifies(kit, tmp_path):
    # The unsigned display column of a snapshot made before ADR 0306 holds the NFD
    # name untagged: still a sanitized form of the signed path, so verify accepts it;
    # any other value is still named (ROW).
    snap_path = make_snapshot(kit, tmp_path / "snap", FILES)
    data = snap_path.read_bytes()
    old = edited(data, ("UPDATE files SET display = ? WHERE path = ?", (NFD.decode(), NFD)))
    assert not [f for f in verify_bytes(old, kit.trust).findings if f.code == "ROW"]
    lie = edited(data, ("UPDATE files SET display = ? WHERE path = ?", ("café.c", NFD)))
    assert [f for f in verify_bytes(lie, kit.trust).findings if f.code == "ROW"]
