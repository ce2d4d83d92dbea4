"""Reports show notes by title, never by body (outside attack atk14c, LOW 4).

The HTML timeline and the CSV detail printed a note's payload as raw JSON,
body included, and the JSON events carried it, though docs/report-format.md
says notes are shown as titles, never bodies.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, Note, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

BODY = "BODY_SECRET_words"
TITLE = "title_kept_here"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("note-bodies")
    kit = Kit("note-bodies")
    snap_path = make_snapshot(kit, root / "snap", files={b"a.c": b"int a;\n" * 3})
    with Snapshot.open(snap_path, kit.trust) as snap:
        blob = snap.stat(b"a.c").blob.hex()
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    ledger = kit.new_ledger(ledgers, snapshot=ref)
    ledger.append(FileOpen(b"a.c", blob, 21, 3, {}))
    ledger.append(View(b"a.c", blob, 1, 3, 0, 80))
    ledger.append(Note(b"a.c", "1" * 32, 1, "remark", "", TITLE, BODY, blob, 1, 2))
    ledger.append(Note(b"a.c", "2" * 32, 1, "remark", "", TITLE, "", blob, 0, 0))  # empty body
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return {"root": root, "ledgers": ledgers, "snap": snap_path, "trust": trust_file(kit, root)}


@pytest.mark.parametrize("suffix", ["html", "csv", "json", "jsonl"])
def test_no_output_holds_a_note_body(site, suffix):
    out = site["root"] / f"r.{suffix}"
    argv = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert BODY not in text and BODY not in result.output
    assert TITLE in text  # the title is still shown
    if suffix == "json":
        notes = [e for x in json.loads(text)["ledgers"] for e in x["events"] if e["kind"] == "note"]
        assert [e["payload"]["body_omitted"] for e in notes] == [len(BODY), 0]
        assert all("body" not in e["payload"] for e in notes)
