"""who-viewed ends a view at the file's end from `file_open` when no snapshot
given holds the content, as the report does (outside attack atk14c, LOW-MEDIUM 2).

The ledger opens a.c (3 lines, content in no snapshot given) and views lines
2-9999. who-viewed said lines 5-9 were SEEN and listed 1-9999; the report
counted lines 2-3. Both now say lines 2-3.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.session.events import FileOpen, View
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

BLOB = "cd" * 32


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("file-end")
    kit = Kit("file-end")
    ledgers = root / "ledgers"
    ledgers.mkdir()
    snap = make_snapshot(kit, root / "snap", files={b"b.c": b"other\n"})  # a.c not in it
    ledger = kit.new_ledger(ledgers)  # names no snapshot: nothing to contradict
    ledger.append(FileOpen(b"a.c", BLOB, 30, 3, {}))
    ledger.append(View(b"a.c", BLOB, 2, 9999, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return {"root": root, "ledgers": ledgers, "snap": snap, "trust": trust_file(kit, root)}


def _run(site, *args: str) -> str:
    argv = [*args, str(site["ledgers"]), "--trust", str(site["trust"])]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("cache", [["--no-cache"], []])
def test_who_viewed_stops_at_the_opened_end(site, cache):
    past = json.loads(_run(site, "who-viewed", "a.c:5-9", "--json", *cache))
    assert [s for s in past["sightings"] if s["mismatch"] is None] == []
    whole = json.loads(_run(site, "who-viewed", "a.c", "--json", *cache))
    (seen,) = whole["sightings"]
    assert seen["ranges"] == [[2, 3]]
    assert "SEEN lines 5" not in _run(site, "who-viewed", "a.c:5-9", *cache)


def test_report_agrees(site):
    out = site["root"] / "r.json"
    _run(site, "report", "-o", str(out), "--snapshot", str(site["snap"]))
    (row,) = json.loads(out.read_text(encoding="utf-8"))["coverage"]
    assert (row["lines"], row["lines_seen"]) == (3, 2)
