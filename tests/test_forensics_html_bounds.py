"""The HTML report's timeline and coverage summary are bounded (outside attack
atk14c, LOW-MEDIUM 3: a 172 MB page from hostile paths and a big ledger).

The bounds are lowered here so a small ledger crosses them; the rows beyond are
counted in one row that names the JSON, JSON Lines and CSV reports, which still
hold every entry and file version.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics import html_budget, report_html
from cleanroom.forensics.html_budget import Budget
from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

LONG = b"\x1b[31m" * 40  # each path: 200 bytes of escapes, more once tagged and escaped
FILES = {LONG + f"{i:02}.c".encode(): f"int f{i};\n".encode() * 5 for i in range(12)}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("html-bounds")
    kit = Kit("html-bounds")
    snap_path = make_snapshot(kit, root / "snap", files=FILES)
    with Snapshot.open(snap_path, kit.trust) as snap:
        blobs = {p: snap.stat(p).blob.hex() for p in FILES}
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    ledger = kit.new_ledger(ledgers, snapshot=ref)
    for p, b in blobs.items():
        ledger.append(FileOpen(p, b, 50, 5, {}))
        for first in range(1, 5):  # distinct rows: none merge
            ledger.append(View(p, b, first, first + 1, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return {"root": root, "ledgers": ledgers, "snap": snap_path, "trust": trust_file(kit, root)}


def _report(site, suffix: str) -> str:
    out = site["root"] / f"r.{suffix}"
    argv = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_the_timeline_is_cut_at_its_bound(site, monkeypatch):
    monkeypatch.setattr(html_budget, "TIMELINE_ROWS", 10**6)
    monkeypatch.setattr(html_budget, "TIMELINE_BYTES", 30_000)
    page = _report(site, "html")
    timeline = page[page.index('<section id="timeline">') :]
    rows = re.findall(r'<tr class="entry [^"]*"[^>]*>.*?</tr>\n', timeline)
    assert rows and sum(len(r.encode()) for r in rows) <= 30_000
    (cut,) = re.findall(r"(\d+) more entries of this session from #(\d+) not shown", timeline)
    total = len(json.loads(_report(site, "json"))["ledgers"][0]["events"])
    assert int(cut[0]) == total - len(rows)  # each row is one entry here: none merged
    assert "JSON Lines and CSV" in timeline


def test_the_rows_bound_holds_too(site, monkeypatch):
    monkeypatch.setattr(html_budget, "TIMELINE_ROWS", 7)
    page = _report(site, "html")
    timeline = page[page.index('<section id="timeline">') :]
    assert len(re.findall(r'<tr class="entry ', timeline)) == 7
    assert "more entries of this session" in timeline


def test_the_coverage_summary_is_cut_at_its_bound(site, monkeypatch):
    monkeypatch.setattr(report_html, "TOP_FILES", 2)
    monkeypatch.setattr(html_budget, "SUMMARY_ROWS", 3)
    page = _report(site, "html")
    assert len(re.findall(r'<tr class="filesummary', page)) == 3
    assert "7 more file versions not listed here" in page  # 12 - 2 top - 3 listed
    assert len(json.loads(_report(site, "json"))["coverage"]) == 12  # JSON: all of them


def test_without_a_bound_reached_nothing_is_cut(site):
    page = _report(site, "html")
    assert "not shown here" not in page and "not listed here" not in page


@pytest.mark.parametrize("text", ["", "x", "é" * 10])
def test_budget_counts_utf8_bytes(text):
    b = Budget(rows=2, bytes=len(text.encode()))
    assert b.take(text) and b.bytes == 0 and b.rows == 1
    assert not b.take("y") and b.rows == 0 and not b.take("")  # spent: nothing more


def test_the_hottest_rows_are_cut_at_their_bound(site, monkeypatch):
    monkeypatch.setattr(html_budget, "TOP_ROWS_BYTES", 12_000)
    page = _report(site, "html")
    rows = re.findall(r'<tr class="heatrow[^"]*".*?</tr>\n', page)
    assert rows and sum(len(r.encode()) for r in rows) <= 12_000
    (left,) = re.findall(r"(\d+) more of the hottest file versions not shown here", page)
    assert int(left) == len(FILES) - len(rows)
    # a detail only for a row shown, and every row's link has its detail
    anchors = re.findall(r'<details id="([^"]+)" class="filedetail"', page)
    assert len(anchors) <= len(rows)
    assert set(re.findall(r'href="#(fverified\d+)"', page)) == set(anchors)


def test_the_details_are_cut_at_their_bound(site, monkeypatch):
    monkeypatch.setattr(html_budget, "DETAIL_BYTES", 8_000)
    page = _report(site, "html")
    details = re.findall(r'<details id="[^"]+" class="filedetail">.*?</details>\n', page, re.S)
    assert details and sum(len(d.encode()) for d in details) <= 8_000
    rows = re.findall(r'<tr class="heatrow', page)
    assert len(rows) == len(FILES)  # every row, some without a detail
    (left,) = re.findall(r"(\d+) more file details not shown here", page)
    assert int(left) == len(FILES) - len(details)
    assert len(re.findall(r'href="#fverified\d+"', page)) == len(details)  # no dead link
    assert "JSON report" in page


def test_the_bounds_are_per_report_not_per_group(site, tmp_path, monkeypatch):
    # A TAMPERED ledger included makes a second coverage group: it shares the
    # page's bounds with the verified one instead of getting its own.
    from tests.ledgerkit import forge

    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    for p in site["ledgers"].iterdir():
        (ledgers / p.name).write_bytes(p.read_bytes())
    kit = Kit("html-bounds")
    with Snapshot.open(site["snap"], kit.trust) as snap:
        ref = SnapshotRef(snap.id, snap.manifest.root)
        blobs = {p: snap.stat(p).blob.hex() for p in FILES}
    (tmp_path / "other").mkdir()
    other = kit.new_ledger(tmp_path / "other", snapshot=ref)
    for p, b in blobs.items():
        other.append(FileOpen(p, b, 50, 5, {}))
        other.append(View(p, b, 2, 3, 0, 80))
    other.seal(countersigner=kit.reviewer)
    other.close()
    forge(other.path, 3, None, wall_us=1)  # the signature no longer matches
    (ledgers / "tampered.ledger").write_bytes(other.path.read_bytes())
    monkeypatch.setattr(html_budget, "DETAIL_BYTES", 8_000)
    monkeypatch.setattr(html_budget, "TOP_ROWS_BYTES", 20_000)
    out = tmp_path / "r.html"
    argv = ["report", str(ledgers), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out), "--include-tampered"]  # fmt: skip
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 1, result.output  # TAMPERED, included
    page = out.read_text(encoding="utf-8")
    assert 'data-trust="tampered"' in page
    details = re.findall(r'<details id="[^"]+" class="filedetail">.*?</details>\n', page, re.S)
    rows = re.findall(r'<tr class="heatrow[^"]*".*?</tr>\n', page)
    assert sum(len(d.encode()) for d in details) <= 8_000
    assert sum(len(r.encode()) for r in rows) <= 20_000
    assert "more of the hottest file versions not shown here" in page
