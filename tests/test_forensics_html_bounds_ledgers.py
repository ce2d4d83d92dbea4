"""The tables with one row per ledger or reviewer are bounded too: "Verification",
"Sessions" and both tables of "At a glance" grew with the number of ledgers
given, the last sections of the page that did (issue 14).

The bound is lowered here so five ledgers cross it; each cut is one row that
counts what it left out and says where every one is listed. Verification lists
the worst ledgers first, so the one that matters is never the one cut.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics import html_budget
from cleanroom.ledger.events import Reviewer, SnapshotRef
from cleanroom.ledger.keys import raw_public
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

FILES = {b"a.c": b"one\ntwo\n"}
LEDGERS = 5
SHOWN = 2  # html_budget.LEDGER_ROWS in these tests


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("html-ledgers")
    kit = Kit("html-ledgers")
    snap_path = make_snapshot(kit, root / "snap", files=FILES)
    with Snapshot.open(snap_path, kit.trust) as snap:
        ref = SnapshotRef(snap.id, snap.manifest.root)
        blob = snap.stat(b"a.c").blob.hex()
    ledgers = root / "ledgers"
    ledgers.mkdir()
    prev = None  # one workstation's chain of sessions
    for i in range(LEDGERS):
        who = Reviewer(f"Reviewer {i}", "Agency", raw_public(kit.reviewer).hex())
        ledger = Ledger.create(ledgers, kit.workstation, who, ref, prev, clock=kit.clock,
                               keygen=kit.keys, ledger_id=bytes([i]) * 16)  # fmt: skip
        ledger.append(FileOpen(b"a.c", blob, 8, 2, {}))
        ledger.append(View(b"a.c", blob, 1, 2, 0, 80))
        if i < LEDGERS - 1:  # the last one is left unsealed: INCOMPLETE, listed last
            ledger.seal(countersigner=kit.reviewer)
        prev = ledger.head
        ledger.close()
    return {"root": root, "ledgers": ledgers, "snap": snap_path, "trust": trust_file(kit, root)}


def _report(site, monkeypatch, suffix: str) -> str:
    monkeypatch.setattr(html_budget, "LEDGER_ROWS", SHOWN)
    out = site["root"] / f"r{suffix}"
    out.unlink(missing_ok=True)
    argv = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 3, result.output  # one INCOMPLETE ledger
    return out.read_text(encoding="utf-8")


def _section(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


@pytest.mark.parametrize(
    ("anchor", "table", "row", "what", "where"),
    [
        ("verification", "", r'<tr class="ledger"', "ledgers", "JSON and JSON Lines reports"),
        ("sessions", "", r"<tr data-status=", "sessions", "ledgers[].stats"),
        ("glance", "reviewers", r'<tr class="reach"', "reviewers", "summary.reviewers"),
        ("glance", "sessions-glance", r'<tr class="reach"', "sessions", "summary.sessions"),
    ],
)
def test_each_table_of_ledgers_is_cut_at_its_bound_and_says_where_the_rest_is(
    site, monkeypatch, anchor, table, row, what, where
):
    section = _section(_report(site, monkeypatch, ".html"), anchor)
    if table:
        start = section.index(f'<table class="{table} ')
        section = section[start : section.index("</table>", start)]
    assert len(re.findall(row, section)) == SHOWN
    (left,) = re.findall(rf'<tr class="cut"><td colspan="\d+">([\d,]+) more {what} not', section)
    assert int(left) == LEDGERS - SHOWN
    assert where in section


def test_verification_lists_the_worst_ledger_first(site, monkeypatch):
    section = _section(_report(site, monkeypatch, ".html"), "verification")
    statuses = re.findall(r'<tr class="ledger" data-status="(\w+)"', section)
    assert statuses == ["INCOMPLETE", "INTACT"]


def test_the_json_report_still_lists_every_ledger(site, monkeypatch):
    data = json.loads(_report(site, monkeypatch, ".json"))
    assert len(data["ledgers"]) == LEDGERS
    assert len(data["summary"]["reviewers"]) == len(data["summary"]["sessions"]) == LEDGERS
    assert all("stats" in x and "findings" in x for x in data["ledgers"])


def test_once_the_timeline_is_spent_the_later_sessions_are_one_line(site, monkeypatch):
    monkeypatch.setattr(html_budget, "TIMELINE_ROWS", 2)
    page = _report(site, monkeypatch, ".html")
    timeline = page[page.index('<section id="timeline">') :]
    assert len(re.findall(r'<section class="session', timeline)) == 1
    assert "more entries of this session" in timeline
    (left,) = re.findall(r"([\d,]+) more sessions' timelines not shown here", timeline)
    assert int(left) == LEDGERS - 1
