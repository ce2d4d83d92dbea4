"""Every entry that names a path and a content is checked against the session's
snapshot, not only views (issue 14, ADR 0305).

`file_open`, `view`, `find`, `mark`, `symbol_outline` and `note` each name a path
and the content (blob) at it. A signer can lie in any of them. These ledgers,
signed by the real writer and INTACT, hold one honest and one forged entry of
each kind (the forged one names a.c with q.c's content, or a path with escapes
the snapshot lacks). The report must flag exactly the forged entries in html,
json, jsonl, csv, the notes and on stderr, and credit none of them.
"""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics.mismatch import CODE
from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, Find, Mark, Note, SymbolOutline, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

TREE = {b"a.c": b"int a_line;\n" * 3, b"q.c": b"int q_line;\n" * 5}
HOSTILE = b"x\x1b]0;pwn\x07\xe2\x80\xaey.c"  # escapes and an RLO: never on a terminal
KINDS = ("file_open", "view", "find", "mark", "symbol_outline", "note")


def _entries(path: bytes, blob: str, note_id: str) -> list[object]:
    return [
        FileOpen(path, blob, 30, 3, {}),
        View(path, blob, 1, 3, 0, 80),
        Find(path, blob, "line", False, 3),
        Mark(path, blob, "a", 2),
        SymbolOutline(path, blob, 0, 0, "00" * 32),
        Note(path, note_id, 1, "remark", "", "a title", "a body", blob, 1, 2),
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("entries")
    kit = Kit("entries")
    snap_path = make_snapshot(kit, root / "snap", files=TREE)
    with Snapshot.open(snap_path, kit.trust) as snap:
        a, q = (snap.stat(p).blob.hex() for p in (b"a.c", b"q.c"))
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    ledger = kit.new_ledger(ledgers, snapshot=ref)
    honest, forged = [], []
    for ev in _entries(b"a.c", a, "1" * 32):  # honest: a.c with a.c's content
        honest.append(ledger.append(ev).seq)
    for ev in _entries(b"a.c", q, "2" * 32):  # a.c named with q.c's content
        forged.append(ledger.append(ev).seq)
    for ev in _entries(HOSTILE, a, "3" * 32):  # a path the snapshot lacks
        forged.append(ledger.append(ev).seq)
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return {"snap": snap_path, "ledgers": ledgers, "trust": trust_file(kit, root), "root": root,
            "honest": honest, "forged": forged, "a": a, "q": q}  # fmt: skip


def run(site, suffix: str):
    out = site["root"] / f"report.{suffix}"
    args = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output  # the signatures are good: INTACT
    return out.read_text(encoding="utf-8"), result.output


def test_json_flags_exactly_the_forged_entries_of_every_kind(site):
    doc = json.loads(run(site, "json")[0])
    (ledger,) = doc["ledgers"]
    events = {e["seq"]: e for e in ledger["events"]}
    flagged = {seq for seq, e in events.items() if "mismatch" in e}
    assert flagged == set(site["forged"])
    assert sorted({events[s]["kind"] for s in flagged}) == sorted(KINDS)
    first = events[site["forged"][2]]["mismatch"]  # the find on a.c with q.c's content
    assert first["code"] == CODE and first["snapshot_blob"] == site["a"]
    assert first["content_paths"] == [{"path": "q.c"}]
    hostile = events[site["forged"][-1]]["mismatch"]  # the note on a path it lacks
    assert hostile["snapshot_blob"] is None and hostile["content_paths"] == [{"path": "a.c"}]
    # Never credited: only the honest view of a.c counts as seen.
    (reach,) = doc["summary"]["reviewers"]
    assert (reach["files_seen"], reach["lines_seen"]) == (1, 3)
    notes = {n["note"]: n["mismatch"] for n in doc["notes"]}
    assert notes["1" * 32] is None
    assert notes["2" * 32]["code"] == CODE and notes["3" * 32]["code"] == CODE


def test_jsonl_and_csv_flag_each_forged_entry(site):
    recs = [json.loads(x) for x in run(site, "jsonl")[0].splitlines()]
    events = [r for r in recs if r["record"] == "event"]
    assert {r["seq"] for r in events if "mismatch" in r} == set(site["forged"])
    rows = [r for r in csv.DictReader(run(site, "csv")[0].splitlines()) if r["record"] == "event"]
    flagged = {int(r["seq"]) for r in rows if r["detail"].startswith(CODE)}
    assert flagged == set(site["forged"])
    assert all("\x1b" not in r["detail"] and "\u202e" not in r["detail"] for r in rows)


def test_html_timeline_and_notes_flag_them(site):
    page, _ = run(site, "html")
    rows = re.findall(r'<tr class="entry mismatch" data-kind="(\w+)"', page)
    assert sorted(rows) == sorted(KINDS * 2)
    honest = re.findall(r'<tr class="entry [^"]*" data-kind="(\w+)"[^>]*>(?:(?!</tr>).)*', page)
    assert len(honest) > len(rows)  # the honest entries are listed too, unflagged
    notes = page[page.index('<section id="notes">') : page.index("</section>", page.index(
        '<section id="notes">'))]  # fmt: skip
    assert notes.count(f">{CODE}</span>") == 2 and notes.count('<tr class="mismatch">') == 2
    assert "\x1b" not in page and "\u202e" not in page
    assert "that content is at q.c" in html.unescape(page)


def test_stderr_counts_them_by_kind_without_escapes(site):
    _, out = run(site, "json")
    counts = ", ".join(f"2 {k}" for k in sorted(KINDS))
    assert f"entries: 12 name a path and content their snapshot contradicts ({counts})" in out
    named = re.findall(rf"#(\d+) (\w+): {CODE}: snapshot", out)
    assert sorted(int(seq) for seq, _ in named) == site["forged"]
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
