"""The HTML report does not widen or lengthen with the number of ledgers.

One column per reviewer in the coverage table, and one banner per finding across
sessions (or per search whose result rows cannot be counted), grew the page with
every ledger given: 300 reviewers made 300 columns on every heatmap row. Now the
table has at most `REVIEWER_COLUMNS` reviewer columns (those who saw the most
lines) and a note that says how many more and where they are; banners stop at
`BANNERS` with one banner that counts the rest. Real ledgers, keys and verifier.
"""

from __future__ import annotations

import io
import re

import pytest

from cleanroom.forensics import html_budget
from cleanroom.forensics.report import analyse, build_report
from cleanroom.forensics.report_html import write_html
from cleanroom.forensics.timeline import read_evidence
from cleanroom.ledger.events import Reviewer
from cleanroom.ledger.findings import Finding
from cleanroom.ledger.keys import raw_public
from cleanroom.session.events import FileOpen, View
from tests.ledgerkit import Kit

BLOB = "ef" * 32
REVIEWERS = html_budget.REVIEWER_COLUMNS + 3


class Named(Kit):
    """A kit whose ledgers name the reviewer `who`."""

    who = "Reviewer 00"

    def reviewer_ref(self) -> Reviewer:
        return Reviewer(self.who, "Agency", raw_public(self.reviewer).hex())


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    kit = Named("caps")
    paths = []
    for i in range(REVIEWERS):
        kit.who = f"Reviewer {i:02d}"
        ledger = kit.new_ledger(tmp_path_factory.mktemp(f"r{i}"))
        ledger.append(FileOpen(b"src/main.c", BLOB, 9000, 900, {}))
        ledger.append(View(b"src/main.c", BLOB, 1, 10 * (i + 1), 0, 100))  # i + 1 tens
        ledger.seal(countersigner=kit.reviewer)
        ledger.close()
        paths.append(ledger.path)
    return kit, paths


def _page(kit, paths, findings: int) -> str:
    ev = read_evidence(paths, kit.trust, analyse=analyse)
    ev.sessions = [Finding(None, "SESSION_ORDER", f"finding number {n}") for n in range(findings)]
    out = io.StringIO()
    write_html(build_report(ev, kit.trust), out)
    return out.getvalue()


def test_reviewer_columns_are_capped_with_a_note(evidence):
    kit, paths = evidence
    page = _page(kit, paths, 0)
    heads = re.findall(r'<th class="who">([^<]*)</th>', page)
    cap = html_budget.REVIEWER_COLUMNS
    # Those who saw the most lines have the columns, in the table's own order.
    assert heads == [f"Reviewer {i:02d} (Agency)" for i in range(REVIEWERS - cap, REVIEWERS)]
    row = re.search(r'<tr class="heatrow".*?</tr>', page).group(0)
    assert row.count('class="num who"') == cap
    assert f"{REVIEWERS - cap} more reviewers have no column here" in page
    # Every reviewer is still in "At a glance".
    assert all(f"Reviewer {i:02d}" in page for i in range(REVIEWERS))


def test_few_reviewers_have_every_column_and_no_note(evidence):
    kit, paths = evidence
    page = _page(kit, paths[:2], 0)
    assert len(re.findall(r'<th class="who">', page)) == 2
    assert "have no column here" not in page


def test_banners_are_capped_with_a_count_of_the_rest(evidence):
    kit, paths = evidence
    page = _page(kit, paths[:1], html_budget.BANNERS + 5)
    shown = re.findall(r"finding number (\d+)<", page)
    assert shown == [str(n) for n in range(html_budget.BANNERS)]
    assert "5 more findings across sessions not shown here" in page
    few = _page(kit, paths[:1], 3)
    assert len(re.findall(r"finding number", few)) == 3 and "more findings" not in few
