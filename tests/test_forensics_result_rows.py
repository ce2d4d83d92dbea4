"""Search result rows are reading: a session that only searched and looked at the
results still covers the lines its rows showed, in the report's coverage and time
on screen; rows that cannot be mapped to lines (no snapshot given) are named."""

from __future__ import annotations

import asyncio

import pytest

from cleanroom.forensics.report import build_report
from cleanroom.forensics.report_json import report_to_json
from cleanroom.forensics.timeline import read_evidence
from cleanroom.snapshot.store import Snapshot
from cleanroom.tui.screens.search import SearchScreen
from tests.forensicskit import SIZE, begin, make_snapshot, review_app, seal
from tests.ledgerkit import Kit


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("rows")
    kit = Kit("forensics-rows")
    snap = make_snapshot(kit, root / "v1")
    ledgers = root / "ledgers"
    ledgers.mkdir()
    shown: dict[str, object] = {}

    async def record():
        app = review_app(kit, ledgers, snap, name="rows")
        async with app.run_test(size=SIZE) as pilot:
            await begin(pilot)
            await pilot.press("s", *"value_2", "enter")
            for _ in range(200):
                await pilot.pause(0.05)
                if isinstance(app.screen, SearchScreen) and app.screen.found is not None:
                    break
            await pilot.pause(0.3)
            screen = app.screen
            # the terminal holds only the rows it showed; the in-process service, all kept
            shown["hits"] = app.service._hits_of(screen.found).hits
            shown["rows"] = screen.query_one("#results").visible_rows()
            await pilot.press("escape")
            await pilot.pause()
            await seal(pilot)
        app.session.source.snapshot.close()

    asyncio.run(record())
    return {"kit": kit, "snap": snap, "ledger": next(ledgers.glob("*.ledger")), **shown}


def report_of(site, snapshots):
    evidence = read_evidence([site["ledger"]], site["kit"].trust)
    return build_report(evidence, site["kit"].trust, snapshots)


def test_lines_read_in_result_rows_are_covered(site):
    first, last = site["rows"]
    lines = {h.line + 1 for h in site["hits"][first : last + 1]}
    with Snapshot.open(site["snap"], site["kit"].trust) as snap:
        report = report_of(site, [snap])
    (group,) = report.coverage
    (f,) = [f for f in group.files if f.path == b"src/long.py"]
    seen = {n for seg in f.segments() if seg.shown for n in range(seg.first, seg.last + 1)}
    assert seen == lines  # exactly the rows' lines: nothing opened in the code view
    assert f.intervals >= 1 and group.unmapped == []
    stats = report.sessions[0].stats
    assert stats["views"] == 0 and stats["result_views"] >= 1
    assert stats["results_on_screen_us"] > 0
    assert sum(f.sessions.values()) == f.on_screen_us <= stats["results_on_screen_us"]


def test_rows_that_cannot_be_mapped_are_named(site):
    report = report_of(site, [])
    (group,) = report.coverage
    assert group.files == []
    assert group.unmapped and "was not given" in group.unmapped[0].why
    out = report_to_json(report)
    assert out["unmapped_results"][0]["search_seq"] == group.unmapped[0].search_seq


def test_the_html_report_says_which_rows_it_could_not_count(site):
    import io

    from cleanroom.forensics.report_html import write_html

    out = io.StringIO()
    write_html(report_of(site, []), out)
    assert "are not counted here" in out.getvalue()
