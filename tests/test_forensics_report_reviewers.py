"""Per reviewer: the summary at the top of the report, the coverage table's reviewer
columns, and the coverage rows of the CSV and JSON Lines outputs, on two real
sessions by two reviewers (tests/reportsite.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict

import pytest

from tests.reportsite import TREE, two_reviewers
from tests.test_forensics_report import run_report

ADA, BOB = ("Ada Reviewer", "Agency"), ("Bob Auditor", "Agency")
OPENED = {
    ADA: {"src/long.py", "kernel/sched/fair0.c"},
    BOB: {"drivers/net/eth1.c", "drivers/net/eth2.c"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return two_reviewers(tmp_path_factory.mktemp("reviewers"))


def _report(site, tmp_path, fmt: str, *ledgers) -> str:
    out = tmp_path / f"r.{fmt}"
    result = run_report(site, *(ledgers or [site["ledgers"]]), out=out)
    assert result.exit_code in (0, 1), result.output
    return out.read_text(encoding="utf-8")


def test_jsonl_has_one_coverage_record_per_file_and_reviewer(site, tmp_path):
    records = [json.loads(x) for x in _report(site, tmp_path, "jsonl").splitlines()]
    cov = [r for r in records if r["record"] == "coverage"]
    ranges = [r for r in records if r["record"] == "coverage_range"]
    by_who = defaultdict(set)
    for r in cov:
        by_who[(r["reviewer"], r["org"])].add(r.get("path") or r["path_b64"])
        assert r["trust"] == "verified" and 0 < r["lines_seen"] <= r["lines"]
        assert r["snapshots"]  # every file opened is the snapshot's own content
    assert OPENED[ADA] <= by_who[ADA] and OPENED[BOB] <= by_who[BOB]
    assert not by_who[ADA] & OPENED[BOB] and not by_who[BOB] & OPENED[ADA]
    assert "c3JjL2JhZP9uYW1lLnR4dA==" in by_who[BOB]  # src/bad\xffname.txt, exactly
    # The ranges of a file and reviewer add up to its lines seen, never overlap.
    for r in cov:
        mine = sorted((x["first"], x["last"]) for x in ranges
                      if (x["reviewer"], x.get("path"), x["blob"]) ==
                      (r["reviewer"], r.get("path"), r["blob"]))  # fmt: skip
        assert sum(b - a + 1 for a, b in mine) == r["lines_seen"]
        assert all(b1 < a2 for (_, b1), (a2, _) in zip(mine, mine[1:], strict=False))
        assert all(1 <= a <= b <= r["lines"] for a, b in mine)


def test_csv_has_the_same_rows_and_no_python_none(site, tmp_path):
    text = _report(site, tmp_path, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    cov = [r for r in rows if r["record"] == "coverage"]
    assert {(r["reviewer"], r["path"]) for r in cov} >= {
        (who[0], p) for who, paths in OPENED.items() for p in paths
    }
    long_py = next(r for r in cov if r["path"] == "src/long.py")
    assert long_py["lines"] == "5000" and long_py["trust"] == "verified"
    assert long_py["detail"] == f"{long_py['lines_seen']} of 5000 lines seen"
    assert any(r["path"] == "src/bad⟨xFF⟩name.txt" for r in cov)  # sanitized for display
    assert "None" not in text


def test_a_ledger_finding_without_a_seq_leaks_no_none_into_csv(site, tmp_path):
    junk = tmp_path / "junk.ledger"
    junk.write_bytes(b"\x00not a ledger" * 50)
    text = _report(site, tmp_path, "csv", junk)
    (row,) = [r for r in csv.DictReader(io.StringIO(text)) if r["record"] == "ledger"]
    assert row["ledger_status"] == "TAMPERED" and "first finding NOT_SQLITE:" in row["detail"]
    assert "None" not in text


def test_the_html_summary_counts_each_reviewer_against_the_whole_snapshot(site, tmp_path):
    text = _report(site, tmp_path, "html")
    glance = text.split('id="glance"')[1].split("</section>")[0]
    rows = re.findall(r'<tr class="reach" data-who="([^"]+)">(.*?)</tr>', glance)
    # The cells' text, as a reader sees it (the percentage is a span that never wraps)
    people = {who: re.sub("<[^>]+>", "", cells) for who, cells in rows if "(Agency)" in who}
    assert set(people) == {"Ada Reviewer (Agency)", "Bob Auditor (Agency)"}
    files = len(TREE)
    assert f"4 / {files} (" in people["Ada Reviewer (Agency)"]
    assert f"4 / {files} (" in people["Bob Auditor (Agency)"]
    never = text.split('id="never"')[1].split("</section>")[0]
    assert f"{files - 8} of {files} files never opened" in never
    assert "<code>drivers/gpu/</code>: the whole directory, 8 files" in never
    assert "<code>kernel/sched/</code>" in never and "fair0.c" not in never


def test_the_html_coverage_table_has_a_column_per_reviewer(site, tmp_path):
    text = _report(site, tmp_path, "html")
    table = text.split('class="heatmap')[1].split("</table>")[0]
    heads = re.findall(r"<th[^>]*>(.*?)</th>", table.split("</tr>")[0])
    assert "Ada Reviewer (Agency)" in heads and "Bob Auditor (Agency)" in heads
    row = next(r for r in table.split("<tr")[1:] if 'data-path="src/long.py"' in r)
    cells = re.findall(r'<td class="num who"[^>]*>(.*?)</td>', row)
    assert len(cells) == 2 and cells[1] == "" and re.fullmatch(r"\d+ / 5000", cells[0])
