"""A name a ledger gives is outside no HTML bound (ADR 0309, atk14f #5).

A reviewer name of 330,000 x U+202E fits the 1 MiB entry limit, and one such
ledger made a 20 MB page (8 made 148 MB): the name was shown whole in the
glance, sessions, coverage heads and timeline. Every name is now cut to
`NAME_CHARS` characters of its display form, with a mark counting the rest,
and a description to `WHAT_CHARS`; the JSON report keeps every name whole.
Real ledgers, keys and snapshot, through the real CLI.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics import html_budget
from cleanroom.forensics.describe import display
from cleanroom.forensics.report_sections import WHAT_CHARS
from cleanroom.forensics.report_text import NAME_CHARS
from cleanroom.ledger.events import Reviewer, SnapshotRef
from cleanroom.ledger.keys import raw_public
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

FILES = {b"a.c": b"one\ntwo\n"}
HUGE = "\u202e" * 200_000  # 600 KB of UTF-8: one entry, under the 1 MiB limit
ORG = "\x1b[31m" * 10_000
BYTES_PER_CHAR = 6  # the most one display character costs once escaped (&quot;)
PLACES = 8  # where a ledger's names show: glance (2), sessions (2), coverage, heading (2), path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("html-names")
    kit = Kit("html-names")
    snap_path = make_snapshot(kit, root / "snap", files=FILES)
    with Snapshot.open(snap_path, kit.trust) as snap:
        ref = SnapshotRef(snap.id, snap.manifest.root)
        blob = snap.stat(b"a.c").blob.hex()
    out = {"root": root, "snap": snap_path, "trust": trust_file(kit, root), "names": []}
    for kind, names in (("short", ["Ada", "Bob"]), ("huge", [HUGE + "A", HUGE + "B"])):
        ledgers = root / kind
        ledgers.mkdir()
        prev = None
        for i, name in enumerate(names):
            org = ORG if kind == "huge" else "Agency"
            who = Reviewer(name, org, raw_public(kit.reviewer).hex())
            ledger = Ledger.create(ledgers, kit.workstation, who, ref, prev, clock=kit.clock,
                                   keygen=kit.keys, ledger_id=bytes([i + 1]) * 16)  # fmt: skip
            ledger.append(FileOpen(b"a.c", blob, 8, 2, {}))
            ledger.append(View(b"a.c", blob, 1, 2, 0, 80))
            ledger.seal(countersigner=kit.reviewer)
            prev = ledger.head
            ledger.close()
        out[kind] = ledgers
    return out


def _report(site, kind: str, fmt: str) -> str:
    out = site["root"] / f"{kind}.{fmt}"
    argv = ["report", str(site[kind]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def _size(page: str) -> int:
    return len(page.encode("utf-8"))


def test_huge_names_add_a_bounded_amount_to_the_page(site):
    short, huge = _report(site, "short", "html"), _report(site, "huge", "html")
    # Each ledger's names (reviewer, organisation) show in at most PLACES places,
    # each cut to NAME_CHARS, and once in a description cut to WHAT_CHARS.
    per_ledger = BYTES_PER_CHAR * (2 * PLACES * (NAME_CHARS + 100) + WHAT_CHARS)
    assert _size(huge) <= _size(short) + 2 * per_ledger, "a name passed every bound"
    assert _size(huge) <= html_budget.PAGE_BYTES


def test_a_cut_name_says_how_much_is_left_out_and_the_json_holds_it_whole(site):
    page = _report(site, "huge", "html")
    shown = display(HUGE + "A")
    head = NAME_CHARS // len("⟨RLO⟩") * len("⟨RLO⟩")  # never cut inside a tag
    assert f"… ({len(shown) - head:,} more characters; the JSON report holds all)" in page
    assert "⟨RLO⟩" * (NAME_CHARS // 5 + 1) not in page.split('<section id="timeline">')[0]
    report = json.loads(_report(site, "huge", "json"))
    names = {x["who"] for x in report["summary"]["reviewers"]}
    assert any(HUGE + "A" in n for n in names) and any(HUGE + "B" in n for n in names)


def test_both_reviewers_are_listed_at_a_glance_not_cut_away(site):
    # One whole name made a row larger than the table's 500 KB: the table held
    # nothing but its cut row, and no reviewer at all was listed.
    page = _report(site, "huge", "html")
    start = page.index('<table class="reviewers')
    table = page[start : page.index("</table>", start)]
    assert table.count('<tr class="reach"') == 2 and 'class="cut"><td' not in table


def test_a_session_heading_is_counted_in_the_timelines_bytes(site, monkeypatch):
    # Headings were outside the timeline's bytes: with the bytes spent, each
    # session still had its heading. Now a heading that does not fit is not shown.
    monkeypatch.setattr(html_budget, "TIMELINE_BYTES", 1)
    page = _report(site, "huge", "html")
    timeline = page[page.index('<section id="timeline">') :]
    assert '<section class="session' not in timeline
    assert "2 more sessions' timelines not shown here (the page's bound)" in timeline
