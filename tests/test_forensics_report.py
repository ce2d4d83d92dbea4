"""`cleanroom report` on sessions recorded by the real reviewer app (Pilot), in every format."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics.timeline import read_timeline
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.session.events import Alert, Search, SearchResultsView
from tests.forensicskit import (
    HOSTILE_NAME,
    HOSTILE_QUERY,
    SIZE,
    begin,
    make_snapshot,
    review_app,
    seal,
    trust_file,
)
from tests.ledgerkit import Kit, forge, read_rows

FORMULA_QUERY = '=HYPERLINK("http://evil.example/","x")'
FORMATS = ["html", "json", "jsonl", "csv"]


async def _drive(app) -> Path:
    rec = app.session.recorder
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        await pilot.press("ctrl+p", *"lon", "enter")  # quick open src/long.py
        await pilot.pause()
        await pilot.press("pagedown")
        await pilot.pause()
        await pilot.press("colon", *"4000", "enter")
        await pilot.pause()
        # The app has no search box yet: record searches through its own recorder.
        found = rec.record(Search(HOSTILE_QUERY, False, True, ["src/*"], [], 7, "00" * 32))
        rec.record(SearchResultsView(found.seq, 0, 6))
        rec.record(Search(FORMULA_QUERY, True, False, [], [], 0, "11" * 32))
        app.open_path(HOSTILE_NAME)
        await pilot.pause()
        await pilot.press("ctrl+c")  # blocked, recorded
        await pilot.pause()
        rec.record(Alert("media", "/media/usb\x1b[31m", "record", 2))
        await seal(pilot)
    return rec.ledger.path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A snapshot, a trust key and one sealed session recorded by the real app."""
    root = tmp_path_factory.mktemp("site")
    kit = Kit("forensics-report")
    snap = make_snapshot(kit, root / "snap")
    ledgers = root / "ledgers"
    ledgers.mkdir()
    app = review_app(kit, ledgers, snap)
    path = asyncio.run(_drive(app))
    app.session.source.snapshot.close()
    return {"kit": kit, "snap": snap, "trust": trust_file(kit, root), "ledger": path, "root": root}


def run_report(site, *ledgers, out: Path, extra=()):
    args = ["report", *map(str, ledgers), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out), *extra]  # fmt: skip
    return CliRunner().invoke(main, args, catch_exceptions=False)


def kinds_of(path: Path) -> list[str]:
    return [decode_body(b).kind for _, b, _ in read_rows(path)]


class Page(HTMLParser):
    """The parts of the report tests look for: tags, heatmap rows, timeline rows."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.heatrows: list[dict] = []
        self.entries: list[dict] = []
        self._row: dict | None = None
        self._cells = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        classes = (a.get("class") or "").split()
        if tag == "tr" and "heatrow" in classes:
            self._row = {"path": a["data-path"], "blob": a["data-blob"], "cells": []}
            self.heatrows.append(self._row)
        elif tag == "tr" and "entry" in classes:  # one row per run of identical entries
            row = {"kind": a["data-kind"], "status": a["data-status"], "classes": classes}
            self.entries += [row] * int(a["data-count"])
        elif tag == "i" and self._row is not None:
            self._row["cells"].append(classes[0])

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None


def parse(html_text: str) -> Page:
    page = Page()
    page.feed(html_text)
    return page


# -- one intact session, every format ------------------------------------------------


def test_the_timeline_is_read_only_after_the_same_verdict_as_verify(site):
    t = read_timeline(site["ledger"], site["kit"].trust)
    v = verify_path(site["ledger"], site["kit"].trust)
    assert t.verdict.status == v.status == "INTACT" and t.verdict.findings == v.findings
    assert [e.kind for e in t.entries] == kinds_of(site["ledger"])
    assert all(e.problem is None for e in t.entries)


def test_html_report_has_the_heatmap_rows_and_the_whole_timeline(site, tmp_path):
    out = tmp_path / "r.html"
    result = run_report(site, site["ledger"], out=out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    rows = {r["path"]: r for r in page.heatrows}
    long_row = rows["src/long.py"]
    assert len(long_row["cells"]) == 100
    hot = [i for i, c in enumerate(long_row["cells"]) if c != "h0"]
    assert hot and 0 in hot and 79 in hot  # the top of the file, and line 4000 of 5000
    assert any(c == "h0" for c in long_row["cells"])  # most of the file was never shown
    assert [e["kind"] for e in page.entries] == kinds_of(site["ledger"])
    assert all(e["status"] == "INTACT" for e in page.entries)
    alert = next(e for e in page.entries if e["kind"] == "alert")
    assert "alert" in alert["classes"]
    assert "searches sortable" in {a.get("class") for _, a in page.tags}
    assert "7" in text.split('class="searches sortable"')[1].split("</table>")[0]


def test_html_report_is_self_contained_and_runs_only_its_pinned_script(site, tmp_path):
    out = tmp_path / "r.html"
    run_report(site, site["ledger"], out=out)
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    names = [tag for tag, _ in page.tags]
    assert not set(names) & {"img", "link", "iframe", "object", "embed", "form", "base"}
    assert names.count("script") == 1  # the sorter, and nothing else
    body = text.split("<script>")[1].split("</script>")[0]
    pinned = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    for _, attrs in page.tags:
        assert not any(k.startswith("on") for k in attrs), attrs  # no event handlers
        assert attrs.get("href", "#").startswith("#")
        assert "src" not in attrs
    csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert f"script-src 'sha256-{pinned}'" in csp[0]["content"]
    assert "unsafe-inline'" not in csp[0]["content"].split("script-src")[1]


def test_hostile_names_and_queries_are_escaped_and_tagged_in_html(site, tmp_path):
    out = tmp_path / "r.html"
    run_report(site, site["ledger"], out=out)
    text = out.read_text(encoding="utf-8")
    assert "</script><" not in text and "<b x=" not in text
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "&lt;/script&gt;&lt;b x=&quot;1&quot;&gt;⟨RLO⟩cod.exe⟨x1B⟩]52;c;SGk=⟨x07⟩.c" in text
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;⟨RLO⟩⟨x1B⟩[2J" in text
    page = parse(text)
    assert any("⟨RLO⟩" in r["path"] for r in page.heatrows)  # attributes too


def test_json_report_follows_the_ledger(site, tmp_path):
    out = tmp_path / "r.json"
    assert run_report(site, site["ledger"], out=out).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["format"] == "cleanroom.report.v1" and doc["status"] == "INTACT"
    (ledger,) = doc["ledgers"]
    assert ledger["status"] == "INTACT" and not ledger["withheld"]
    assert [e["kind"] for e in ledger["events"]] == kinds_of(site["ledger"])
    views = [e for e in ledger["events"] if e["kind"] == "view"]
    assert sum(v["dwell_us"] for v in views) == ledger["stats"]["on_screen_us"] > 0
    cov = {c.get("path"): c for c in doc["coverage"]}
    long_py = cov["src/long.py"]
    assert long_py["trust"] == "verified" and long_py["lines"] == 5000
    assert long_py["snapshots"] == [doc["snapshots"][0]["id"]]
    assert long_py["sessions"][0]["status"] == "INTACT"
    assert sum(s[1] - s[0] + 1 for s in long_py["segments"]) == 5000
    assert any(s[0] <= 4000 <= s[1] and s[3] for s in long_py["segments"])
    hostile = cov[HOSTILE_NAME.decode()]
    assert hostile["lines"] == 40
    searches = [(s["kind"], s["payload"]["query"], s.get("rows_viewed")) for s in doc["searches"]]
    assert searches == [
        ("quick_open", "lon", None),
        ("search", HOSTILE_QUERY, [0, 6]),
        ("search", FORMULA_QUERY, None),
    ]
    assert [i["kind"] for i in doc["incidents"]] == ["blocked", "alert"]
    assert out.read_text().isascii()


def test_jsonl_has_one_event_per_line_each_with_its_ledger_status(site, tmp_path):
    out = tmp_path / "r.jsonl"
    assert run_report(site, site["ledger"], out=out).exit_code == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records[0]["record"] == "ledger" and records[0]["ledger_status"] == "INTACT"
    events = [r for r in records if r["record"] == "event"]
    assert [r["kind"] for r in events] == kinds_of(site["ledger"])
    assert all(r["ledger_status"] == "INTACT" and r["reviewer"] == "Ada Reviewer" for r in events)


def test_csv_is_sanitized_and_cannot_run_formulas(site, tmp_path):
    out = tmp_path / "r.csv"
    assert run_report(site, site["ledger"], out=out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["record"] == "ledger" and rows[0]["ledger_status"] == "INTACT"
    events = [r for r in rows if r["record"] == "event"]
    assert [r["kind"] for r in events] == kinds_of(site["ledger"])
    queries = [r["query"] for r in events if r["kind"] == "search"]
    assert queries[1] == "'" + FORMULA_QUERY
    assert queries[0].startswith("</script>") and "⟨RLO⟩" in queries[0]
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_an_unknown_extension_is_a_usage_error(site, tmp_path):
    result = run_report(site, site["ledger"], out=tmp_path / "r.pdf")
    assert result.exit_code == 2 and not (tmp_path / "r.pdf").exists()


# -- tampered ledgers ---------------------------------------------------------------


@pytest.fixture
def tampered(site, tmp_path) -> Path:
    """A copy of the session with one view's lines edited (its signature no longer fits)."""
    path = tmp_path / "ledgers" / site["ledger"].name
    path.parent.mkdir()
    shutil.copy(site["ledger"], path)
    seq = kinds_of(path).index("view")
    body = decode_body(read_rows(path)[seq][1])
    forge(path, seq, None, payload={**body.payload, "first": 1000, "last": 1020})
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_tampered_ledger_is_flagged_and_its_entries_withheld(site, tampered, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    result = run_report(site, tampered, out=out)
    assert result.exit_code == 1
    assert "TAMPERED, entries withheld: SIGNATURE" in result.stderr
    text = out.read_text(encoding="utf-8")
    if fmt == "html":
        page = parse(text)
        assert page.entries == [] and page.heatrows == []
        assert 'data-status="TAMPERED"' in text and "Entries withheld" in text
    elif fmt == "json":
        doc = json.loads(text)
        assert doc["status"] == "TAMPERED" and doc["exit_code"] == 1
        (ledger,) = doc["ledgers"]
        assert ledger["withheld"] and ledger["events"] == [] and doc["coverage"] == []
        assert ledger["findings"][0]["code"] == "SIGNATURE"
    elif fmt == "jsonl":
        records = [json.loads(line) for line in text.splitlines()]
        assert [r["record"] for r in records] == ["ledger"]
        assert records[0]["ledger_status"] == "TAMPERED" and records[0]["withheld"]
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["record"] for r in rows] == ["ledger"]
        assert rows[0]["ledger_status"] == "TAMPERED" and "withheld" in rows[0]["detail"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_included_tampered_entries_are_marked_and_kept_apart(site, tampered, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    both = [site["ledger"], tampered]
    result = run_report(site, *both, out=out, extra=["--include-tampered"])
    assert result.exit_code == 1
    text = out.read_text(encoding="utf-8")
    n = len(kinds_of(tampered))
    if fmt == "html":
        page = parse(text)
        statuses = [e["status"] for e in page.entries]
        assert statuses.count("TAMPERED") == n and statuses.count("INTACT") == n
        assert 'data-trust="tampered"' in text and "Claimed by TAMPERED ledgers" in text
    elif fmt == "json":
        doc = json.loads(text)
        assert [g["trust"] for g in doc["coverage"] if g.get("path") == "src/long.py"] == [
            "verified",
            "tampered",
        ]
        for c in doc["coverage"]:
            statuses = {s["status"] for s in c["sessions"]}
            assert statuses == ({"TAMPERED"} if c["trust"] == "tampered" else {"INTACT"})
        assert {s["status"] for s in doc["searches"]} == {"INTACT", "TAMPERED"}
    elif fmt == "jsonl":
        events = [json.loads(x) for x in text.splitlines() if '"record":"event"' in x]
        by_status = [e["ledger_status"] for e in events]
        assert by_status.count("TAMPERED") == n and by_status.count("INTACT") == n
    else:
        rows = [r for r in csv.DictReader(io.StringIO(text)) if r["record"] == "event"]
        assert [r["ledger_status"] for r in rows].count("TAMPERED") == n


def test_the_terminal_summary_is_sanitized(site, tmp_path):
    hostile = tmp_path / "ledgers" / "x\x1b]0;owned\x07\u202e.ledger"
    hostile.parent.mkdir()
    shutil.copy(site["ledger"], hostile)
    forge(hostile, 1, None, wall_us=1)
    result = run_report(site, hostile, out=tmp_path / "r.json")
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "x⟨x1B⟩]0;owned⟨x07⟩⟨RLO⟩.ledger: TAMPERED" in result.stderr


def _keys(value) -> set[str]:
    """Every object key in a JSON value, except inside ledger payloads and summaries
    (documented in events.md and verdict.md)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            if k not in ("payload", "summary"):
                out |= _keys(v)
    elif isinstance(value, list):
        for v in value:
            out |= _keys(v)
    return out


def test_every_report_field_is_documented(site, tmp_path):
    doc_md = (Path(__file__).resolve().parents[1] / "docs" / "report-format.md").read_text()
    fields = set()
    for fmt in ("json", "jsonl"):
        out = tmp_path / f"r.{fmt}"
        run_report(site, site["ledger"], out=out)
        text = out.read_text()
        values = [json.loads(text)] if fmt == "json" else [json.loads(x) for x in text.splitlines()]
        for v in values:
            fields |= _keys(v)
    csv_out = tmp_path / "r.csv"
    run_report(site, site["ledger"], out=csv_out)
    fields |= set(next(csv.reader(io.StringIO(csv_out.read_text()))))
    fields -= {"code", "severity", "message"}  # a finding's fields: docs/verdict.md
    missing = sorted(f for f in fields if f"`{f}`" not in doc_md)
    assert not missing, f"docs/report-format.md does not describe {missing}"


async def _crashed_session(app) -> Path:
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        await pilot.press("pagedown")
        await pilot.pause()
    ledger = app.session.recorder.ledger
    ledger.close()  # the process died: no seal
    return ledger.path


def test_a_resumed_session_is_reported_incomplete_on_every_row(site, tmp_path):
    kit = site["kit"]
    app = review_app(kit, tmp_path, site["snap"], name="crashed")
    path = asyncio.run(_crashed_session(app))
    app.session.source.snapshot.close()
    resumed = kit.resume(path, "power cut")
    resumed.seal(countersigner=kit.reviewer)
    out = tmp_path / "r.json"
    result = run_report(site, path, out=out)
    assert result.exit_code == 3 and "INCOMPLETE" in result.stderr
    doc = json.loads(out.read_text())
    (ledger,) = doc["ledgers"]
    assert ledger["status"] == "INCOMPLETE" and not ledger["withheld"]
    assert [f["code"] for f in ledger["findings"]] == ["RESUMED"]
    (resume,) = [i for i in doc["incidents"] if i["kind"] == "session_resume"]
    assert resume["status"] == "INCOMPLETE" and resume["payload"]["reason"] == "power cut"
    views = [e for e in ledger["events"] if e["kind"] == "view"]
    # The last view before the crash counts only up to the last entry before the resume:
    # it is that entry, so nothing more is claimed for it.
    assert views[-1]["dwell_us"] == 0 and views[0]["dwell_us"] == 1000
    (cov,) = [c for c in doc["coverage"] if c.get("path") == "src/long.py"]
    assert cov["sessions"][0]["status"] == "INCOMPLETE"
    html_out = tmp_path / "r.html"
    run_report(site, path, out=html_out)
    page = parse(html_out.read_text())
    assert page.entries and {e["status"] for e in page.entries} == {"INCOMPLETE"}
