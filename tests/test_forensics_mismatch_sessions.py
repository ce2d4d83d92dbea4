"""A forged view is flagged for its session only (outside attack atk14c, MEDIUM 1).

Snapshots s1 (a.c = v1) and s2 (a.c = v2, 4 lines). Ledger l1 names s1 and
says a.c showed the v2 content (s1 contradicts it); ledger l2 names s2 and
honestly views a.c 1-4. The flag once sat on the whole (path, content) row, so
l2 lost its credit in the summary, the map, coverage and `--with-source`, while
who-viewed listed l2's view as SEEN. Now only l1's view is flagged.
"""

from __future__ import annotations

import csv
import html
import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

V1 = {b"a.c": b"int a_secret_v1;\n" * 3, b"q.c": b"int q_line;\n" * 5}
V2 = {**V1, b"a.c": b"int a_secret_v2;\n" * 4}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("mismatch-sessions")
    kit = Kit("mismatch")
    snaps, refs, blobs = [], [], []
    for name, files in (("s1", V1), ("s2", V2)):
        path = make_snapshot(kit, root / name, files=files, version=name)
        with Snapshot.open(path, kit.trust) as snap:
            refs.append(SnapshotRef(snap.id, snap.manifest.root))
            blobs.append(snap.stat(b"a.c").blob.hex())
        snaps.append(path)
    v2 = blobs[1]
    ledgers = root / "ledgers"
    ledgers.mkdir()
    keys, prev = [], None
    for i, ref in enumerate(refs):  # l1 (first) forges, l2 is honest; one workstation
        ledger = kit.new_ledger(
            ledgers, snapshot=ref, prev_session=prev, ledger_id=bytes([i + 1]) * 16
        )
        ledger.append(FileOpen(b"a.c", v2, 40, 4, {}))
        ledger.append(View(b"a.c", v2, 1, 4, 0, 80))
        ledger.seal(countersigner=kit.reviewer)
        prev = ledger.head
        ledger.close()
    return {"root": root, "snaps": snaps, "ledgers": ledgers, "v2": v2, "keys": keys,
            "trust": trust_file(kit, root)}  # fmt: skip


def _cli(site, *args: str) -> str:
    snaps = [x for p in site["snaps"] for x in ("--snapshot", str(p))]
    argv = [*args, str(site["ledgers"]), *snaps,
            "--trust", str(site["trust"])]  # fmt: skip
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _report(site, suffix: str, *extra: str) -> str:
    out = site["root"] / f"r{''.join(extra)}.{suffix}"
    _cli(site, "report", "-o", str(out), *extra)
    return out.read_text(encoding="utf-8")


def test_json_keeps_the_honest_sessions_credit(site):
    doc = json.loads(_report(site, "json"))
    l1, l2 = (s for s in doc["summary"]["sessions"])
    assert (l1["who"], l2["who"]) == ("01" * 16, "02" * 16)
    assert (l2["files_seen"], l2["lines_seen"]) == (1, 4)  # the honest session keeps it
    assert (l1["files_seen"], l1["lines_seen"]) == (0, 0)
    (row,) = [f for f in doc["coverage"] if f["path"] == "a.c" and f["blob"] == site["v2"]]
    assert row["mismatch"] is None and row["lines_seen"] == 4
    flagged = [(i, e["kind"]) for i, x in enumerate(doc["ledgers"]) for e in x["events"]
               if e.get("mismatch")]  # fmt: skip
    assert sorted(flagged) == [(0, "file_open"), (0, "view")]  # l1's entries only


def test_html_map_csv_and_source_credit_the_honest_view(site):
    page = html.unescape(_report(site, "html", "--with-source"))
    assert "<title>a.c: 4 lines, 100.0 % seen" in page  # the s2 map
    assert "int a_secret_v2;" in page  # l2 watched it: its source is printed
    rows = list(csv.DictReader(_report(site, "csv").splitlines()))
    detail = [r["detail"] for r in rows if r.get("lines") and r["path"] == "a.c"]
    assert detail == ["4 of 4 lines seen"]


def test_who_viewed_agrees(site):
    doc = json.loads(_cli(site, "who-viewed", "a.c", "--json", "--no-cache"))
    marks = [s["mismatch"] is not None for s in doc["sightings"]]
    assert sorted(marks) == [False, True]  # l1's forged view flagged, l2's counted
