"""A view whose path and content contradict the session's own snapshot is flagged,
never credited (outside attack on issue 14, finding 2).

A signer can lie: these ledgers are signed by the real writer with the kit's keys
and verify INTACT, yet say path `a.c` showed the content of `q.c`, or `q.c`
showed the content of `a.c`, or `a.c` showed content no file has. The report
must check each (path, content) against the snapshot the session names, flag it
(`PATH_BLOB_MISMATCH`) in html, json, jsonl, csv and on stderr, leave it out of
the summary and the treemap, and never print the other file's source under the
path the ledger names.
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
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

TREE = {
    b"a.c": b"int a_secret_line;\n" * 3,
    b"q.c": b"int q_other_line;\n" * 5,
    b"r.c": b"int r_honest;\n" * 4,
}
UNKNOWN = "cd" * 32


def _blob(snap: Snapshot, path: bytes) -> str:
    return snap.stat(path).blob.hex()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("mismatch")
    kit = Kit("mismatch")
    snap_path = make_snapshot(kit, root / "snap", files=TREE)
    with Snapshot.open(snap_path, kit.trust) as snap:
        a, q, r = (_blob(snap, p) for p in (b"a.c", b"q.c", b"r.c"))
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    ledger = kit.new_ledger(ledgers, snapshot=ref)
    for path, blob, lines in [
        (b"a.c", q, 5),  # a.c named with q.c's content
        (b"q.c", a, 3),  # q.c named with a.c's content
        (b"r.c", r, 4),  # honest
        (b"a.c", UNKNOWN, 2),  # content that is nowhere in the snapshot
        (b"zz.c", r, 4),  # a path the snapshot does not have, with r.c's content
    ]:
        ledger.append(FileOpen(path, blob, lines * 10, lines, {}))
        ledger.append(View(path, blob, 1, lines, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return {"snap": snap_path, "ledgers": ledgers, "trust": trust_file(kit, root),
            "root": root, "a": a, "q": q, "r": r}  # fmt: skip


def run(site, suffix: str, *extra: str):
    out = site["root"] / f"report{'-'.join(extra)}.{suffix}"
    args = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "-o", str(out), *extra]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output  # the signatures are good: INTACT
    return out.read_text(encoding="utf-8"), result.output


def test_json_flags_each_contradiction_and_counts_only_the_honest_view(site):
    doc = json.loads(run(site, "json")[0])
    rows = {(f["path"], f["blob"]): f["mismatch"] for f in doc["coverage"]}
    a_as_q = rows[("a.c", site["q"])]
    assert a_as_q["code"] == CODE and a_as_q["snapshot_blob"] == site["a"]
    assert a_as_q["content_paths"] == [{"path": "q.c"}]
    q_as_a = rows[("q.c", site["a"])]
    assert q_as_a["snapshot_blob"] == site["q"] and q_as_a["content_paths"] == [{"path": "a.c"}]
    nowhere = rows[("a.c", UNKNOWN)]
    assert nowhere["snapshot_blob"] == site["a"] and nowhere["content_paths"] == []
    assert rows[("r.c", site["r"])] is None
    no_path = rows[("zz.c", site["r"])]
    assert no_path["snapshot_blob"] is None and no_path["content_paths"] == [{"path": "r.c"}]
    (reach,) = doc["summary"]["reviewers"]
    assert (reach["files_seen"], reach["lines_seen"]) == (1, 4)  # r.c only


def test_html_flags_the_rows_and_shows_no_source_under_the_wrong_path(site):
    page, _ = run(site, "html", "--with-source")
    text = html.unescape(page)
    flagged = re.findall(
        r'<tr class="heatrow mismatch" data-path="([^"]*)" data-blob="(\w+)"', page
    )
    want = [("a.c", site["q"]), ("q.c", site["a"]), ("a.c", UNKNOWN), ("zz.c", site["r"])]
    assert sorted(flagged) == sorted(want)
    assert f'<tr class="heatrow" data-path="r.c" data-blob="{site["r"]}">' in page
    assert "4 file version(s) on screen contradict" in text
    assert "has no file zz.c; that content is at r.c" in text
    assert "not counted (5 / 5 claimed)" in text
    assert (
        f"holds content {site['a'][:16]} at a.c, not {site['q'][:16]}; that content is at q.c"
        in text
    )
    # q.c's lines are never printed as a.c's, nor a.c's as q.c's; r.c's are.
    assert "q_other_line" not in page and "a_secret_line" not in page
    assert page.count("r_honest") == 4  # r.c's own 4 lines, once: never as zz.c's
    # The treemap credits only r.c.
    assert "<title>a.c: 3 lines, 0 % seen" in text and "<title>q.c: 5 lines, 0 % seen" in text
    assert "<title>r.c: 4 lines, 100.0 % seen" in text


def test_jsonl_and_csv_flag_it(site):
    recs = [json.loads(x) for x in run(site, "jsonl")[0].splitlines()]
    cov = {(r["path"], r["blob"]): r["mismatch"] for r in recs if r.get("record") == "coverage"}
    assert cov[("a.c", site["q"])]["code"] == CODE and cov[("r.c", site["r"])] is None
    rows = list(csv.DictReader(run(site, "csv")[0].splitlines()))
    detail = {(r["path"], r["blob"]): r["detail"] for r in rows if r.get("lines")}
    assert detail[("q.c", site["a"])].startswith(f"{CODE}: not counted")
    assert detail[("r.c", site["r"])] == "4 of 4 lines seen"


def test_stderr_names_each_contradiction(site):
    _, out = run(site, "json")
    assert out.count(f"coverage (verified): {CODE}") == 4
    assert "that content is nowhere in it" in out


@pytest.mark.parametrize("names", ["no snapshot", "another snapshot"])
def test_a_session_that_names_no_given_snapshot_gets_no_source_under_a_wrong_path(
    tmp_path, names: str
):
    """Outside attack (second round): a ledger naming no snapshot, or one not
    given, escaped the check, and `--with-source` printed q.c's lines as a.c's."""
    kit = Kit("mismatch")
    snap_path = make_snapshot(kit, tmp_path / "snap", files=TREE)
    with Snapshot.open(snap_path, kit.trust) as snap:
        q, r = _blob(snap, b"q.c"), _blob(snap, b"r.c")
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    ref = None if names == "no snapshot" else SnapshotRef("ab" * 32, "cd" * 32)
    ledger = kit.new_ledger(ledgers, snapshot=ref)
    for path, blob, lines in [(b"a.c", q, 5), (b"r.c", r, 4)]:
        ledger.append(FileOpen(path, blob, lines * 10, lines, {}))
        ledger.append(View(path, blob, 1, lines, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    out = tmp_path / "r.html"
    args = ["report", str(ledgers), "--snapshot", str(snap_path), "--trust",
            str(trust_file(kit, tmp_path)), "-o", str(out), "--with-source"]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = html.unescape(out.read_text(encoding="utf-8"))
    assert "q_other_line" not in page, "q.c's source was printed under a.c"
    assert "no snapshot given holds this content at this path" in page
    assert page.count("r_honest") == 4  # content at its own path is still shown


def test_the_treemap_credits_no_line_to_a_view_past_the_end(tmp_path):
    """Outside attack (second round): a view of lines 100-200 of a 3-line file
    counts 0 lines in coverage and who-viewed, but the map said 33.3 % seen."""
    kit = Kit("mismatch")
    snap_path = make_snapshot(kit, tmp_path / "snap", files=TREE)
    with Snapshot.open(snap_path, kit.trust) as snap:
        a = _blob(snap, b"a.c")
        ref = SnapshotRef(snap.id, snap.manifest.root)
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    ledger = kit.new_ledger(ledgers, snapshot=ref)
    ledger.append(FileOpen(b"a.c", a, 10, 500, {}))
    ledger.append(View(b"a.c", a, 100, 200, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    out = tmp_path / "r.html"
    args = ["report", str(ledgers), "--snapshot", str(snap_path), "--trust",
            str(trust_file(kit, tmp_path)), "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page = html.unescape(out.read_text(encoding="utf-8"))
    titles = re.findall(r"<title>a\.c: [^<]*", page)
    assert titles and re.match(r"<title>a\.c: 3 lines, 0(\.0)? % seen", titles[0]), titles


def _who(site, target: str, *extra: str):
    args = ["who-viewed", target, str(site["ledgers"]), "--trust", str(site["trust"]),
            "--snapshot", str(site["snap"]), "--no-cache", *extra]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_who_viewed_lists_a_contradicted_view_but_never_counts_it(site):
    """ADR 0305: who-viewed credited `a.c` with q.c's content as a sighting of a.c
    (content differed) where the session's own snapshot holds a.c's content there."""
    doc = json.loads(_who(site, "a.c", "--json"))
    flagged = {s["blob"]: s["mismatch"] for s in doc["sightings"]}
    assert set(flagged) == {site["q"], UNKNOWN}
    assert flagged[site["q"]]["code"] == CODE
    assert flagged[site["q"]]["content_paths"] == [{"path": "q.c"}]
    assert not doc["nobody"] and CODE in {c["code"] for c in doc["caveats"]}
    text = _who(site, "a.c")
    assert "SEEN " not in text
    assert sum(x.startswith("CONTRADICTED, not counted: ") for x in text.splitlines()) == 2
    assert "that content is at q.c" in text and "by reviewer" not in text
    assert "does not show nobody did" in text and f"  {CODE}: 2 sightings" in text
    honest = json.loads(_who(site, "r.c", "--json"))
    assert [s["mismatch"] for s in honest["sightings"]] == [None]
    assert honest["caveats"] == [] and "SEEN " in _who(site, "r.c")


def test_who_viewed_says_where_the_snapshot_holds_a_forged_content(site):
    """atk14e LOW 7: `(no snapshot given)` was printed for q.c's content under a.c
    although the snapshot given holds it, at q.c."""
    text = _who(site, "a.c")
    (line,) = [x for x in text.splitlines() if f"content {site['q']}" in x]
    assert "no snapshot given" not in line and "holds it at q.c" in line
    (nowhere,) = [x for x in text.splitlines() if f"content {UNKNOWN}" in x]
    assert "(in no snapshot given)" in nowhere
    doc = json.loads(_who(site, "a.c", "--json"))
    where = {v["blob"]: v["elsewhere"] for v in doc["versions"]}
    assert where[site["q"]][0]["path"] == "q.c" and where[UNKNOWN] == []
