"""`cleanroom who-viewed` never answers "nobody" by mistake (issue 11, section 3):
a path or range the snapshot does not hold is a usage error naming the closest
paths; `./` spellings, directories and globs are answered; "nobody" only for a
checked question over verified ledgers, saying over which sessions and when;
whole-file answers list only the lines shown; result rows count as seen."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics import resultlines
from cleanroom.forensics.target import Target, TargetError, normalise, suggestions
from cleanroom.forensics.timeline import timestamp
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, Search, SearchResultsView, View
from cleanroom.snapshot.search import Query, search
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import (
    HOSTILE_NAME,
    SIZE,
    begin,
    make_snapshot,
    review_app,
    seal,
    trust_file,
)
from tests.ledgerkit import Kit, body_of, forge, read_rows
from tests.test_tui_search import run_search

ESCAPES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LONG = b"src/long.py"


async def _viewer(app, goto: int | None):
    """Opens src/long.py (its top is shown), then jumps to `goto`."""
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        app.open_path(LONG)
        await pilot.pause()
        if goto is not None:
            await pilot.press("colon", *str(goto), "enter")
            await pilot.pause()
        await seal(pilot)
    app.session.source.snapshot.close()
    return app.session.recorder.head


async def _searcher(app, text: str):
    """Searches from the start screen, looks at the result rows, and leaves."""
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, text)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await seal(pilot)
    app.session.source.snapshot.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Ada read the top of src/long.py and lines 4000..; Bob only searched, in a
    ledger directory of his own, and read result rows."""
    root = tmp_path_factory.mktemp("nobody")
    kit = Kit("forensics-nobody")
    v1 = make_snapshot(kit, root / "v1")
    ledgers, searched = root / "ledgers", root / "searched"
    ledgers.mkdir()
    searched.mkdir()

    async def record():
        await _viewer(review_app(kit, ledgers, v1, name="ada"), 4000)
        await _searcher(
            review_app(kit, searched, v1, name="bob", reviewer="Bob Reviewer"), "value_42"
        )

    asyncio.run(record())
    return {"kit": kit, "v1": v1, "ledgers": ledgers, "searched": searched, "root": root,
            "trust": trust_file(kit, root)}  # fmt: skip


def who(site, target, *extra, ledgers=None, snapshot=True):
    args = ["who-viewed", target, str(ledgers or site["ledgers"]), "--trust", str(site["trust"]),
            "--no-cache"]  # fmt: skip
    if snapshot:
        args += ["--snapshot", str(site["v1"])]
    return CliRunner().invoke(main, [*args, *map(str, extra)], catch_exceptions=False)


def as_json(result) -> dict:
    assert result.exit_code in (0, 1, 3), result.output
    return json.loads(result.stdout)


def views_of(ledger: Path, path: bytes = LONG) -> list[tuple[int, int]]:
    """(first, last) of every `view` of `path` the ledger holds."""
    out = []
    for _, body, _ in read_rows(ledger):
        b = body_of_bytes(body)
        if b.kind == "view" and b.payload.get("path") == path.decode():
            out.append((b.payload["first"], b.payload["last"]))
    return out


def body_of_bytes(body: bytes):
    return decode_body(body)


# -- a path the snapshot does not hold ---------------------------------------------------


@pytest.mark.parametrize(
    ("target", "closest"),
    [
        ("src/lnog.py", "src/long.py"),  # a typo
        ("src/long.py:4000-4010x", None),  # not a range: a path, and not there
        ("pkg/src/long.py:10-20", "src/long.py"),  # a directory too many in front
        ("long.py", "src/long.py"),  # one too few
        ("src/long.pyc", "src/long.py"),
    ],
)
def test_a_path_not_in_the_snapshot_is_a_usage_error_naming_the_closest(site, target, closest):
    result = who(site, target)
    assert result.exit_code == 2, result.output
    assert "not in snapshot" in result.output and "nobody" not in result.output
    if closest is not None:
        listed = result.output.split("closest paths in the snapshot:")[1].split()
        assert listed[0] == closest, result.output


def test_suggestions_are_sanitized(site):
    asked = HOSTILE_NAME[:-2].decode("utf-8", "surrogateescape")  # without its ".c"
    result = who(site, asked)
    assert result.exit_code == 2
    assert "closest paths in the snapshot:" in result.output
    assert "⟨x1B⟩]52;c;" in result.output, result.output
    assert not ESCAPES.search(result.output.replace("\n", "")), repr(result.output)


def test_suggestions_are_bounded_on_a_huge_tree():
    # CPU seconds of this process (time.process_time), not wall time: the bound is on
    # the work done, which a loaded machine does not change (wall time took 10.1 s).
    names = [b"dir%d/sub%d/file_%d.c" % (i % 97, i % 13, i) for i in range(300_000)]
    t = time.process_time()
    got = suggestions(b"dir5/sub3/file_1234.cc", names)
    assert time.process_time() - t < 10
    assert 0 < len(got) <= 5 and all(g in names for g in got)
    assert suggestions(b"x" * 100_000, names) == []  # nothing close, and quick
    flat = [b"flat_%d.c" % i for i in range(300_000)]  # one directory of 300k files
    t = time.process_time()
    assert suggestions(b"flat_12x.c", flat)[0] == b"flat_12.c"
    assert time.process_time() - t < 10


@pytest.mark.parametrize("target", ["src/long.py:5001-5010", "src/long.py:4990-5010",
                                    "src/long.py:99999"])  # fmt: skip
def test_a_range_beyond_the_end_of_the_file_is_a_usage_error(site, target):
    result = who(site, target)
    assert result.exit_code == 2, result.output
    assert "has 5000 lines" in result.output and "nobody" not in result.output
    last = who(site, "src/long.py:4990-5000")  # up to the last line is a fine question
    assert last.exit_code == 0 and "nobody had these lines on screen" in last.stdout


# -- spellings of a path ------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["./src/long.py", "src//long.py", "src/./long.py", "./src/../src/long.py", "src/long.py/."],
)
def test_equivalent_spellings_give_the_same_answer(site, spelling):
    want = as_json(who(site, "src/long.py:4000-4010", "--json"))
    got = as_json(who(site, f"{spelling}:4000-4010", "--json"))
    assert got["sightings"] and got["sightings"] == want["sightings"]
    assert got["target"]["path"] == "src/long.py"
    # and without a snapshot, where nothing else would notice the spelling
    got = as_json(who(site, f"{spelling}:4000-4010", "--json", snapshot=False))
    assert [s["reviewer"] for s in got["sightings"]] == ["Ada Reviewer"]


@pytest.mark.parametrize("spelling", ["../src/long.py", "src/../../long.py", "/src/long.py"])
def test_a_path_that_leaves_the_snapshot_is_refused(site, spelling):
    for snapshot in (True, False):
        result = who(site, spelling, snapshot=snapshot)
        assert result.exit_code == 2, result.output
        assert "out of the snapshot" in result.output or "absolute path" in result.output


def test_normalise():
    assert normalise(b"./a//b/./c/") == b"a/b/c"
    assert normalise(b"a/b/../c") == b"a/c"
    assert Target.parse("./a.c:3-4") == Target(b"a.c", 3, 4)
    assert Target.parse("src/").directory
    with pytest.raises(TargetError):
        normalise(b"a/../../b")


# -- directories and globs -------------------------------------------------------------


@pytest.mark.parametrize("target", ["src", "src/", "./src", "src/*.py", "*.py", "src/**"])
def test_a_directory_or_glob_is_answered_per_file(site, target):
    doc = as_json(who(site, target, "--json"))
    assert doc["target"]["kind"] in ("directory", "glob")
    assert {s["path"] for s in doc["sightings"]} == {"src/long.py"}
    files = {f.get("path") for f in doc["files"]}
    assert "src/long.py" in files and "README.md" not in files
    text = who(site, target).stdout
    assert "src/long.py:" in text and "SEEN " in text
    others = len(files) - 1
    if others:
        assert f"nobody had any of the {others} other file" in text, text


def test_a_directory_without_a_snapshot_is_matched_on_recorded_paths(site):
    result = who(site, "src/", snapshot=False)
    assert result.exit_code == 0
    assert "SEEN " in result.stdout and "among the paths the ledgers recorded" in result.stdout
    assert "nobody" not in result.stdout


def test_a_range_on_a_directory_is_a_usage_error(site):
    assert who(site, "src:1-5").exit_code == 2
    assert who(site, "src/*.py:1-5").exit_code == 2


def test_a_glob_matching_nothing_is_a_usage_error(site):
    result = who(site, "src/*.rs")
    assert result.exit_code == 2 and "matches this glob" in result.output


def test_many_files_are_capped_in_text_and_all_in_json(site, tmp_path):
    kit = site["kit"]
    files = {b"lib/f%02d.c" % i: b"int x_%d;\n" % i * 30 for i in range(27)}
    snap = make_snapshot(kit, tmp_path / "many", files, "many")
    with Snapshot.open(snap, kit.trust) as s:
        events = []
        for path in files:
            blob = s.stat(path).blob.hex()
            events += [FileOpen(path, blob, 300, 30, {}), View(path, blob, 1, 10, 0, 80)]
        ref = SnapshotRef(s.id, s.manifest.root)
    ledger = hand_ledger(kit, tmp_path / "l", ref, events)
    args = ["who-viewed", "lib/*.c", str(ledger), "--trust", str(site["trust"]), "--no-cache",
            "--snapshot", str(snap)]  # fmt: skip
    text = CliRunner().invoke(main, args).stdout
    assert "(glob: 27 files in the snapshot)" in text
    assert text.count("SEEN ") == 20 and "… and 7 more files with sightings" in text
    doc = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    assert len(doc["sightings"]) == 27 and len(doc["files"]) == 27


# -- "nobody" only when it is proven, and over what ----------------------------------


def test_without_a_snapshot_the_answer_says_the_path_was_not_checked(site):
    result = who(site, "src/lnog.py", snapshot=False)  # a typo nobody can notice
    assert result.exit_code == 0
    out = result.stdout
    assert "nobody had" not in out and "no session searched had these lines" in out
    assert "could not be checked" in out and "PATH_UNCHECKED" in out
    doc = as_json(who(site, "src/lnog.py", "--json", snapshot=False))
    assert doc["target"]["checked"] is False and doc["nobody"] is False
    assert [c["code"] for c in doc["caveats"]] == ["PATH_UNCHECKED"]


def test_nobody_is_said_over_which_sessions_and_period(site):
    doc = as_json(who(site, "src/long.py:2000-2100", "--json"))
    assert doc["nobody"] is True and doc["caveats"] == [] and doc["sightings"] == []
    assert doc["target"]["checked"] is True and doc["sessions_searched"] == 1
    (ledger,) = site["ledgers"].glob("*.ledger")
    rows = read_rows(ledger)
    first, last = body_of(ledger, 0), body_of(ledger, len(rows) - 1)
    assert doc["period"] == {"first": timestamp(first.wall_us), "last": timestamp(last.wall_us)}
    out = who(site, "src/long.py:2000-2100").stdout
    assert f"searched     1 session, from {timestamp(first.wall_us)}" in out
    assert "nobody had these lines on screen" in out and "in the 1 session searched" in out


def test_no_nobody_when_a_ledger_was_withheld(site, tmp_path):
    copy = tmp_path / "ledgers"
    shutil.copytree(site["ledgers"], copy)
    (ledger,) = copy.glob("*.ledger")
    forge(ledger, 2, None, wall_us=1)
    result = who(site, "src/long.py:2000-2100", ledgers=copy)
    assert result.exit_code == 1
    assert "nobody had" not in result.stdout and "WITHHELD:" in result.stdout
    doc = as_json(who(site, "src/long.py:2000-2100", "--json", ledgers=copy))
    assert doc["nobody"] is False and doc["sessions_searched"] == 0
    assert [c["code"] for c in doc["caveats"]] == ["WITHHELD"]
    doc = as_json(who(site, "src/long.py:2000-2100", "--json", "--include-tampered",
                      ledgers=copy))  # fmt: skip
    assert doc["nobody"] is False and "LEDGER_TAMPERED" in [c["code"] for c in doc["caveats"]]


def test_no_nobody_when_a_ledger_is_incomplete(site, tmp_path):
    kit = site["kit"]
    with Snapshot.open(site["v1"], kit.trust) as s:
        ref = SnapshotRef(s.id, s.manifest.root)
    ledger = hand_ledger(kit, tmp_path / "l", ref, [], sealed=False)
    doc = as_json(who(site, "src/long.py:1-3", "--json", ledgers=ledger))
    assert doc["status"] == "INCOMPLETE" and doc["nobody"] is False
    assert [c["code"] for c in doc["caveats"]] == ["LEDGER_INCOMPLETE"]


# -- whole files: only the lines shown -----------------------------------------------


def test_a_whole_file_answer_lists_only_the_lines_shown(site):
    (ledger,) = site["ledgers"].glob("*.ledger")
    views = views_of(ledger)
    assert len(views) >= 2 and views[0][0] == 1 and views[-1][0] == 4000  # the fixture
    shown = set()
    for a, b in views:
        shown |= set(range(a, b + 1))
    doc = as_json(who(site, "src/long.py", "--json"))
    (ada,) = doc["sightings"]
    got = {n for a, b in ada["ranges"] for n in range(a, b + 1)}
    assert got == shown and ada["lines_seen"] == len(shown) < 100
    out = who(site, "src/long.py").stdout
    top, low = views[0], views[-1]
    assert f"lines {top[0]}-{top[1]}, {low[0]}-{low[1]} ({len(shown)} lines)" in out, out
    assert f"lines 1-{low[1]} " not in out


def test_no_line_past_the_end_is_claimed(site, tmp_path):
    """A ledger (signed by a stolen workstation key, say) claims a viewport running
    30 lines past the end of the file: only lines the file has are reported."""
    kit = site["kit"]
    with Snapshot.open(site["v1"], kit.trust) as s:
        ref = SnapshotRef(s.id, s.manifest.root)
        blob = s.stat(LONG).blob.hex()
    events = [FileOpen(LONG, blob, 1, 5000, {}), View(LONG, blob, 4990, 5030, 0, 80),
              FileOpen(LONG, blob, 1, 5000, {}), View(LONG, blob, 5001, 5040, 0, 80)]  # fmt: skip
    ledger = hand_ledger(kit, tmp_path / "l", ref, events)
    doc = as_json(who(site, "src/long.py", "--json", ledgers=ledger))
    (s,) = doc["sightings"]
    assert s["ranges"] == [[4990, 5000]] and s["lines_seen"] == 11
    assert s["intervals"] == 1  # the viewport wholly past the end is no sighting
    assert doc["versions"][0]["file_lines"] == 5000


def test_a_range_answer_lists_the_asked_lines_shown(site):
    doc = as_json(who(site, "src/long.py:20-4005", "--json"))
    (ada,) = doc["sightings"]
    (ledger,) = site["ledgers"].glob("*.ledger")
    top = views_of(ledger)[0]
    assert ada["ranges"] == [[20, top[1]], [4000, 4005]]


def test_long_answers_are_capped_in_text(site, tmp_path):
    """10 disjoint places in one file and 12 searches whose rows cannot be mapped."""
    kit = site["kit"]
    with Snapshot.open(site["v1"], kit.trust) as s:
        ref = SnapshotRef(s.id, s.manifest.root)
        blob = s.stat(LONG).blob.hex()
    events = [FileOpen(LONG, blob, 1, 5000, {})]
    events += [View(LONG, blob, 100 * i + 1, 100 * i + 20, 0, 80) for i in range(10)]
    for i in range(12):  # seqs 12, 14, ...: the search, then its rows
        events += [Search(f"q{i}", False, False, [], [], 1, "44" * 32),
                   SearchResultsView(12 + 2 * i, 0, 0)]  # fmt: skip
    ledger = hand_ledger(kit, tmp_path / "l", ref, events)
    out = who(site, "src/long.py", ledgers=ledger, snapshot=False).stdout
    assert "lines 1-20, 101-120," in out and "… and 2 more ranges (200 lines)" in out, out
    assert (
        sum(x.startswith("UNMAPPED ") for x in out.splitlines()) == 10
        and "… and 2 more searches UNMAPPED" in out
    )
    doc = as_json(who(site, "src/long.py", "--json", ledgers=ledger, snapshot=False))
    assert len(doc["sightings"][0]["ranges"]) == 10 and len(doc["unmapped_results"]) == 12


# -- search result rows ---------------------------------------------------------------


def expected_rows(site) -> tuple[list[tuple[int, int]], list[int]]:
    """The result rows Bob had on screen, and the lines of src/long.py they hold."""
    (ledger,) = site["searched"].glob("*.ledger")
    rows = []
    for _, body, _ in read_rows(ledger):
        b = body_of_bytes(body)
        if b.kind == "search_results_view":
            rows.append((b.payload["first"], b.payload["last"]))
    with Snapshot.open(site["v1"], site["kit"].trust) as s:
        hits = list(search(s, Query("value_42")).hits())
    lines = sorted({hits[r].line + 1 for a, b in rows for r in range(a, b + 1)
                    if hits[r].path == LONG})  # fmt: skip
    return rows, lines


def test_lines_read_in_search_results_count_as_seen(site):
    rows, lines = expected_rows(site)
    assert rows and 43 in lines and len(lines) > 5
    doc = as_json(who(site, "src/long.py", "--json", ledgers=site["searched"]))
    (bob,) = doc["sightings"]
    assert bob["via"] == "search_results" and bob["reviewer"] == "Bob Reviewer"
    assert [n for a, b in bob["ranges"] for n in range(a, b + 1)] == lines
    one = as_json(who(site, "src/long.py:43", "--json", ledgers=site["searched"]))
    assert [s["ranges"] for s in one["sightings"]] == [[[43, 43]]]
    text = who(site, "src/long.py:43", ledgers=site["searched"]).stdout
    assert "in search results, line 43 (1 line)" in text and "Bob Reviewer" in text
    # A line no row showed.
    none = as_json(who(site, "src/long.py:44", "--json", ledgers=site["searched"]))
    assert none["sightings"] == [] and none["nobody"] is True


def test_result_rows_survive_the_cache(site, tmp_path):
    """The rows on screen are stored in the cached index, so a cached answer is the same."""
    cache = ["--cache-dir", tmp_path / "cache"]
    args = ["who-viewed", "src/long.py", str(site["searched"]), "--trust", str(site["trust"]),
            "--snapshot", str(site["v1"]), "--json", *map(str, cache)]  # fmt: skip
    first = json.loads(CliRunner().invoke(main, args).stdout)
    second = json.loads(CliRunner().invoke(main, args).stdout)
    assert [x["from_cache"] for x in second["ledgers"]] == [True]
    assert first["sightings"] and second["sightings"] == first["sightings"]
    assert second["sightings"][0]["via"] == "search_results"


def test_result_rows_without_the_sessions_snapshot_are_not_nobody(site):
    doc = as_json(who(site, "src/long.py:43", "--json", ledgers=site["searched"],
                      snapshot=False))  # fmt: skip
    assert doc["sightings"] == [] and doc["nobody"] is False
    assert "RESULTS_UNMAPPED" in [c["code"] for c in doc["caveats"]]
    unmapped = doc["unmapped_results"]  # the search, and its first page if it had one
    assert unmapped and all(u["reviewer"] == "Bob Reviewer" and "was not given" in u["why"]
                            for u in unmapped)  # fmt: skip
    text = who(site, "src/long.py:43", ledgers=site["searched"], snapshot=False).stdout
    assert "UNMAPPED" in text


def test_result_rows_of_a_search_that_differs_on_the_snapshot_are_unmapped(site, tmp_path):
    """A search whose digest does not match the snapshot cannot name its rows' lines."""
    kit = site["kit"]
    with Snapshot.open(site["v1"], kit.trust) as s:
        ref = SnapshotRef(s.id, s.manifest.root)
    events = [Search("value_42", False, False, [], [], 111, "33" * 32),
              SearchResultsView(1, 0, 5)]  # fmt: skip
    ledger = hand_ledger(kit, tmp_path / "l", ref, events)
    doc = as_json(who(site, "src/long.py:43", "--json", ledgers=ledger))
    assert doc["sightings"] == [] and doc["nobody"] is False
    (u,) = doc["unmapped_results"]
    assert "other results" in u["why"]


def test_search_reruns_are_bounded(site, monkeypatch):
    """The cap is real: past it, rows are unmapped, never silently dropped."""
    monkeypatch.setattr(resultlines, "MAX_RUNS", 0)
    doc = as_json(who(site, "src/long.py:43", "--json", ledgers=site["searched"]))
    assert doc["sightings"] == [] and doc["nobody"] is False
    unmapped = doc["unmapped_results"]  # the search, and its first page if it had one
    assert unmapped and all("more than 0 distinct searches" in u["why"] for u in unmapped)


def test_every_new_field_is_documented(site):
    doc_md = (Path(__file__).resolve().parents[1] / "docs" / "who-viewed.md").read_text()
    doc = as_json(who(site, "src", "--json", ledgers=site["searched"], snapshot=False))
    fields = set(doc) | set(doc["target"])
    for key in ("sightings", "unmapped_results", "files", "caveats"):
        for item in doc[key]:
            fields |= set(item)
    assert doc["unmapped_results"] and doc["caveats"]
    missing = sorted(f for f in fields if f"`{f}`" not in doc_md)
    assert not missing, f"docs/who-viewed.md does not describe {missing}"


# -- helpers --------------------------------------------------------------------------


def hand_ledger(kit: Kit, directory: Path, ref: SnapshotRef, events, sealed=True) -> Path:
    """A genuinely signed ledger of `events` (their seqs start at 1)."""
    directory.mkdir(parents=True, exist_ok=True)
    led = Ledger.create(directory, kit.workstation, kit.reviewer_ref(), ref, clock=kit.clock,
                        keygen=kit.keys, ledger_id=os.urandom(16))  # fmt: skip
    for e in events:
        led.append(e)
    if sealed:
        led.seal()
    else:
        led.close()
    return led.path
