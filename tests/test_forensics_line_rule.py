"""One rule for counting lines in every forensic output (docs/report-format.md,
"Coverage"; docs/snapshot-format.md §2): a content has its lines on screen, at
least 1. The terminal shows an empty file as one empty line and records a view
of 1..1, so an empty file seen is 1 of 1 line everywhere: in the report's
summary and totals (html, json, csv, jsonl), its coverage heat strip, the
treemap and who-viewed. An outside attack on issue 14 found "1/10" in the
summary, "0 lines, 100 % seen" in the treemap and nobody in who-viewed.

A binary content is shown as hex rows of 16 bytes, and its views name rows
(ADR 0305): it has ceil(size / 16) lines everywhere, whatever line feeds its
bytes hold. The treemap and the summary's totals counted its line feeds.

The sessions are recorded by the real reviewer app (Pilot) on a real
vendor-signed snapshot.
"""

from __future__ import annotations

import asyncio
import csv
import html
import json
import re

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.encoding import decode_body
from tests.forensicskit import SIZE, begin, make_snapshot, review_app, seal, trust_file
from tests.ledgerkit import Kit, read_rows

# path -> (content, its lines on screen). Stored (§2) they have 0, 1, 2, 1 and 200
# lines; the binary ones are shown as 7 and 13 hex rows.
SEEN = {
    b"empty.c": (b"", 1),
    b"one.c": (b"x", 1),
    b"nonl.c": (b"a\nb", 2),
    b"nolf.bin": (b"\x00" * 100, 7),  # binary without a line feed: 100 bytes, 7 rows
    b"manylf.bin": (b"\x00" + b"\n" * 200, 13),  # 200 line feeds: 201 bytes, 13 rows
}
UNSEEN = {b"rest/six.c": b"".join(b"int v%d;\n" % i for i in range(6))}
SEEN_LINES = sum(lines for _, lines in SEEN.values())
TOTAL_LINES = SEEN_LINES + 6
SHARE = f"{100 * SEEN_LINES / TOTAL_LINES:.1f} %"
CASES = [p.decode() for p in SEEN]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("line-rule")
    kit = Kit("line-rule")
    tree = {**{p: data for p, (data, _) in SEEN.items()}, **UNSEEN}
    snap = make_snapshot(kit, root / "snap", files=tree)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    app = review_app(kit, ledgers, snap, name="ada")

    async def drive():
        async with app.run_test(size=SIZE) as pilot:
            await begin(pilot)
            for p in SEEN:
                app.open_path(p)
                for _ in range(200):  # under load a view can take a while: wait for it
                    await pilot.pause(0.05)
                    if viewed(app.session.recorder.ledger.path, p):
                        break
            await seal(pilot)

    asyncio.run(drive())
    app.session.source.snapshot.close()
    return {"snap": snap, "ledgers": ledgers, "trust": trust_file(kit, root), "root": root}


def viewed(ledger, path: bytes) -> bool:
    """Whether the ledger holds a view of `path` yet."""
    bodies = [decode_body(b) for _, b, _ in read_rows(ledger)]
    return any(b.kind == "view" and b.payload.get("path") == path.decode() for b in bodies)


def report(site, suffix: str) -> str:
    out = site["root"] / f"report.{suffix}"
    if not out.exists():
        args = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
                str(site["trust"]), "-o", str(out)]  # fmt: skip
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_json_summary_and_coverage(site):
    doc = json.loads(report(site, "json"))
    (reach,) = doc["summary"]["reviewers"]
    assert (reach["lines_seen"], reach["lines"]) == (SEEN_LINES, TOTAL_LINES)
    assert (reach["files_seen"], reach["files"]) == (len(SEEN), len(SEEN) + 1)
    files = {f["path"]: f for f in doc["coverage"] if f["trust"] == "verified"}
    for path, (_, lines) in SEEN.items():
        f = files[path.decode()]
        assert (f["lines_seen"], f["lines"]) == (lines, lines), path


@pytest.mark.parametrize("path", CASES)
def test_html_coverage_row_and_heat_strip(site, path):
    page = report(site, "html")
    lines = SEEN[path.encode()][1]
    row = re.search(rf'<tr class="heatrow" data-path="{re.escape(path)}".*?</tr>', page, re.S)
    assert row, path
    assert f">{lines} / {lines}</td>" in row.group(0)
    # Every cell of its strip is seen: no level-0 cell in a file seen whole.
    cells = re.findall(r'<i class="h(\d)" title="lines (\d+)-(\d+)', row.group(0))
    assert cells and all(level != "0" for level, _, _ in cells), cells
    assert (int(cells[0][1]), int(cells[-1][2])) == (1, lines)


def test_html_summary_share(site):
    page = report(site, "html")
    row = re.search(r'<tr class="reach".*?</tr>', page, re.S).group(0)
    text = re.sub("<[^>]+>", "", row)  # as read: the percentage is a span that never wraps
    assert f"{SEEN_LINES} / {TOTAL_LINES} ({SHARE})" in text


@pytest.mark.parametrize("path", CASES)
def test_treemap_tile_says_its_lines_and_share(site, path):
    page = html.unescape(report(site, "html"))
    lines = SEEN[path.encode()][1]
    assert f"<title>{path}: {lines:,} lines, 100.0 % seen" in page


def test_treemap_totals_count_the_empty_file(site):
    page = html.unescape(report(site, "html"))
    assert f"<title>/: {TOTAL_LINES:,} lines, {SHARE} seen" in page
    assert f"1 of {len(SEEN) + 1} files never opened (6 lines never shown)" in page


@pytest.mark.parametrize("path", CASES)
def test_csv_coverage(site, path):
    rows = list(csv.DictReader(report(site, "csv").splitlines()))
    mine = [r for r in rows if r.get("path") == path and r.get("lines")]
    assert mine, (path, rows[:3])
    lines = str(SEEN[path.encode()][1])
    assert all((r["lines"], r["lines_seen"]) == (lines, lines) for r in mine), mine


@pytest.mark.parametrize("path", CASES)
def test_jsonl_coverage_and_ranges(site, path):
    recs = [json.loads(line) for line in report(site, "jsonl").splitlines()]
    lines = SEEN[path.encode()][1]
    cov = [r for r in recs if r.get("record") == "coverage" and r["path"] == path]
    assert cov and all((r["lines"], r["lines_seen"]) == (lines, lines) for r in cov), cov
    ranges = [r for r in recs if r.get("record") == "coverage_range" and r["path"] == path]
    assert {(r["first"], r["last"]) for r in ranges} == {(1, lines)}


def who(site, target: str, *extra: str):
    args = ["who-viewed", target, str(site["ledgers"]), "--trust", str(site["trust"]),
            "--snapshot", str(site["snap"]), "--no-cache", *extra]  # fmt: skip
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.mark.parametrize("path", CASES)
def test_who_viewed_the_whole_file(site, path):
    result = who(site, path, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    lines = SEEN[path.encode()][1]
    assert [s["reviewer"] for s in doc["sightings"]] == ["Ada Reviewer"], doc
    assert doc["sightings"][0]["lines"] == [1, lines]
    text = who(site, path).stdout
    assert "SEEN " in text and "nobody" not in text


@pytest.mark.parametrize("path", CASES)
def test_who_viewed_its_last_line_and_not_past_it(site, path):
    lines = SEEN[path.encode()][1]
    assert "SEEN " in who(site, f"{path}:{lines}").stdout
    past = who(site, f"{path}:{lines + 1}")
    assert past.exit_code == 2 and f"it has {lines} line" in past.output
