"""A coverage row made only of forged views is listed, flagged, in all four
formats (outside attack atk14e, LOW-MEDIUM 6): with two reviewers, per-reviewer
coverage leaves forged views out, and JSON Lines and CSV, built from it, lost
the row that HTML and JSON flag."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics.mismatch import CODE
from cleanroom.ledger.events import Reviewer, SnapshotRef
from cleanroom.ledger.keys import raw_public
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

TREE = {b"a.c": b"int a;\n" * 3, b"q.c": b"int q;\n" * 5, b"r.c": b"int r;\n" * 4}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("mismatch-rows")
    kit = Kit("mismatch-rows")
    snap_path = make_snapshot(kit, root / "snap", files=TREE)
    with Snapshot.open(snap_path, kit.trust) as snap:
        a, q, r = (snap.stat(p).blob.hex() for p in (b"a.c", b"q.c", b"r.c"))
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    prev = None
    for who, views in [("Mallory", [(b"a.c", q, 5)]), ("Ada", [(b"r.c", r, 4)])]:
        ledger = Ledger.create(
            ledgers, kit.workstation, Reviewer(who, "Agency", raw_public(kit.reviewer).hex()),
            clock=kit.clock, keygen=kit.keys, snapshot=ref, prev_session=prev,
        )  # fmt: skip
        for path, blob, lines in views:  # Mallory: a.c named with q.c's content
            ledger.append(FileOpen(path, blob, lines * 10, lines, {}))
            ledger.append(View(path, blob, 1, lines, 0, 80))
        ledger.seal(countersigner=kit.reviewer)
        prev = ledger.head
        ledger.close()
        kit.clock.wall_us += 2_000_000
    return {"snap": snap_path, "ledgers": ledgers, "trust": trust_file(kit, root),
            "root": root, "q": q, "r": r}  # fmt: skip


def run(site, suffix: str) -> str:
    out = site["root"] / f"report.{suffix}"
    args = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_a_forged_only_row_is_in_every_format_flagged(site):
    doc = json.loads(run(site, "json"))
    rows = {(f["path"], f["blob"]): f["mismatch"] for f in doc["coverage"]}
    assert rows[("a.c", site["q"])]["code"] == CODE
    recs = [json.loads(x) for x in run(site, "jsonl").splitlines()]
    cov = {(r["reviewer"], r["path"], r["blob"]): r["mismatch"]
           for r in recs if r.get("record") == "coverage"}  # fmt: skip
    assert cov[("Mallory", "a.c", site["q"])]["code"] == CODE
    assert cov[("Ada", "r.c", site["r"])] is None
    assert ("Ada", "a.c", site["q"]) not in cov  # only who claimed it
    table = list(csv.DictReader(run(site, "csv").splitlines()))
    detail = {(r["path"], r["blob"]): r["detail"] for r in table if r.get("lines")}
    assert detail[("a.c", site["q"])].startswith(f"{CODE}: not counted")
    assert detail[("r.c", site["r"])] == "4 of 4 lines seen"
