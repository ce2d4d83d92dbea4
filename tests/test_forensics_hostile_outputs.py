"""Outputs that cannot attack the responder (issue 10, section 6): a ledger signed by
a rogue or stolen workstation key holds terminal escapes where hex belongs, numbers
near 2^53, formula cells, and lives in a file whose name is not UTF-8."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.cli import main
from cleanroom.forensics import report_csv, report_html
from cleanroom.forensics.coverage import coverage
from cleanroom.forensics.report import CoverageGroup
from cleanroom.forensics.screen import shown
from cleanroom.forensics.timeline import typed_event
from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.verdict import Status
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, QuickOpen, Search, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import entry, make_snapshot, trust_file, view
from tests.ledgerkit import Kit

BIN = Path(sys.executable).parent
CODE = b"".join(b"int line_%d;\n" % i for i in range(50))
PATH = b"src/a.c"
# 16 characters that move up a line and erase it: the [TAMPERED] line goes away.
WIPE = "\x1b[1A\x1b[2K\x1b[1A\x1b[2K"
OSC = "\x1b]0;pwned\x07\x1b]52;c;SGk=\x07"
HUGE = 2**53 - 1
FORMULA = "x;=cmd|' /C calc'!A0;y"
ESCAPES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    kit = Kit("hostile-outputs")
    snap_path = make_snapshot(kit, root / "snap", {PATH: CODE})
    with Snapshot.open(snap_path, kit.trust) as snap:
        blob = snap.stat(PATH).blob.hex()
        ref = SnapshotRef(snap.id, snap.manifest.root)
    return {"kit": kit, "root": root, "snapshot": snap_path, "blob": blob, "ref": ref,
            "trust": trust_file(kit, root)}  # fmt: skip


def ledger(site, directory: Path, *events, name: bytes | None = None) -> Path:
    """A sealed, genuinely signed ledger of `events` after opening src/a.c."""
    directory.mkdir(parents=True, exist_ok=True)
    kit = site["kit"]
    led = Ledger.create(directory, kit.workstation, kit.reviewer_ref(), site["ref"],
                        clock=kit.clock, keygen=kit.keys,
                        ledger_id=os.urandom(16))  # fmt: skip
    led.append(FileOpen(PATH, site["blob"], len(CODE), 50, {}))
    for e in events:
        led.append(e)
    led.seal()
    path = led.path
    if name is not None:
        target = os.path.join(os.fsencode(directory), name)
        os.rename(path, target)
        path = Path(os.fsdecode(target))
    return path


def end(seq: int, ms: int):
    return entry(seq, "session_end", ms, reason="reviewer", entries=seq, by_kind={},
                 countersign=None)  # fmt: skip


def cli(*args) -> object:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


# -- what fits a kind ---------------------------------------------------------------


GOOD_VIEW = {"path": "a.c", "blob": "ab" * 32, "first": 1, "last": 40, "col": 0, "cols": 120}


@pytest.mark.parametrize(
    "change",
    [
        {"blob": WIPE},
        {"blob": "AB" * 32},  # uppercase
        {"blob": "ab" * 31},  # short
        {"blob": "ab" * 32 + "\n"},
        {"last": HUGE},
        {"first": 0},
        {"first": 50, "last": 49},
        {"first": 1, "last": 10**8},  # 10^8 rows on one screen
        {"cols": HUGE},
        {"cols": -1},
        {"col": -5},
        {"col": HUGE},
    ],
)
def test_a_view_out_of_range_does_not_fit_its_kind(change):
    event, problem = typed_event("view", {**GOOD_VIEW, **change})
    assert event is None and problem is not None and problem.startswith("view ")
    assert typed_event("view", GOOD_VIEW)[1] is None


@pytest.mark.parametrize("digest", [OSC, "22" * 31, "GG" * 32, "22" * 32 + " "])
def test_a_search_digest_that_is_not_hex_does_not_fit(digest):
    payload = {"query": "q", "regex": False, "case": False, "include": [], "exclude": [],
               "hits": 0, "digest": digest}  # fmt: skip
    assert typed_event("search", payload)[0] is None
    assert typed_event("search", {**payload, "digest": "22" * 32})[1] is None


def test_a_file_open_blob_that_is_not_hex_does_not_fit():
    payload = {"path": "a.c", "blob": WIPE, "size": 1, "lines": 1, "flags": {}}
    assert typed_event("file_open", payload)[0] is None
    assert typed_event("file_open", {**payload, "blob": "cd" * 32, "lines": -1})[0] is None


# -- terminal escapes ------------------------------------------------------------------


def test_who_viewed_never_prints_a_ledger_blob_raw(site, tmp_path):
    ledger(site, tmp_path / "l", View(PATH, WIPE + OSC, 1, 10, 0, 80),
           View(PATH, site["blob"], 1, 10, 0, 80))  # fmt: skip
    result = cli("who-viewed", "src/a.c:1-5", tmp_path / "l", "--trust", site["trust"],
                 "--no-cache")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not ESCAPES.search(result.output), repr(result.output)
    assert result.output.count("SEEN ") == 1  # the hostile view is not a sighting


def run_replay(*args) -> subprocess.CompletedProcess:
    argv = [f"{BIN}/cleanroom", "replay", *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_replay_never_writes_a_ledger_digest_raw(site, tmp_path):
    path = ledger(site, tmp_path / "l", Search("line_1", False, False, [], [], 3, WIPE + OSC))
    out = tmp_path / "s.cast"
    done = run_replay(path, "--snapshot", site["snapshot"], "--trust", site["trust"],
                      "--cast", out)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert not ESCAPES.search(done.stderr.replace("\n", "")), repr(done.stderr)
    assert "does not fit its kind" in out.read_text()
    for line in out.read_text().splitlines()[1:]:
        data = json.loads(line)[2]
        assert set(re.findall(r"\x1b(.)", data)) <= {"["}  # SGR and the clear only
        assert "\x07" not in data and "]52;" not in data


HUGE_VIEWS = [(1, HUGE, 0, 80), (1, 20, 0, HUGE), (1, 10**8, 0, 80), (1, 20, HUGE, 80)]


@pytest.mark.parametrize("first, last, col, cols", HUGE_VIEWS)
def test_replay_cast_survives_huge_numbers(site, tmp_path, first, last, col, cols):
    path = ledger(site, tmp_path / "l", View(PATH, site["blob"], first, last, col, cols))
    out = tmp_path / "s.cast"
    done = run_replay(path, "--snapshot", site["snapshot"], "--trust", site["trust"],
                      "--cast", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    header = json.loads(out.read_text().splitlines()[0])
    assert header["width"] <= 1000 and header["height"] <= 1002


# -- unbounded numbers in the report ----------------------------------------------------


@pytest.mark.parametrize("suffix", [".html", ".json", ".jsonl", ".csv"])
def test_a_report_survives_huge_line_numbers(site, tmp_path, suffix):
    ledger(site, tmp_path / "l", View(PATH, site["blob"], HUGE - 10, HUGE, 0, 80),
           View(PATH, site["blob"], 1, HUGE, 0, 80), View(PATH, site["blob"], 1, 20, 0, HUGE),
           View(PATH, site["blob"], 40, 60, 0, 80))  # fmt: skip
    out = tmp_path / f"r{suffix}"
    result = cli("report", tmp_path / "l", "--snapshot", site["snapshot"], "--trust",
                 site["trust"], "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    if suffix == ".json":
        (cov,) = json.loads(out.read_text())["coverage"]
        # Clamped to the snapshot's 50 lines: the view of 40-60 shows 40-50.
        assert cov["lines"] == 50 and cov["lines_seen"] == 11


TOP_FILES = 200  # report_html.TOP_FILES, checked below


def _coverage_html(n: int) -> str:
    entries = [view(i + 1, i * 10, 1, 30, path=f"f{i:05}.c", blob=f"{i:064x}") for i in range(n)]
    files = coverage([("s", shown([*entries, end(n + 1, n * 10 + 5)]))], {})
    group = CoverageGroup("verified", files, {}, {"s": Status.INTACT})
    return "".join(report_html._group(group))


def test_html_gives_full_detail_only_for_the_top_files():
    assert report_html.TOP_FILES == TOP_FILES  # docs/report-format.md names it
    n = TOP_FILES + 800
    page = _coverage_html(n)
    assert page.count('class="heatrow"') == TOP_FILES
    assert page.count('class="filedetail"') == TOP_FILES
    assert page.count('class="filesummary"') == n - TOP_FILES
    assert "800 more file versions" in page
    per_file = (len(page) - len(_coverage_html(TOP_FILES))) / (n - TOP_FILES)
    assert per_file < 400, per_file  # was about 26 KB per file version


# -- CSV formula injection ------------------------------------------------------------


def test_csv_quotes_every_cell_and_defuses_formulas_after_separators(site, tmp_path):
    ledger(site, tmp_path / "l", QuickOpen(FORMULA, 1),
           QuickOpen("a,+1+1, @SUM(A1);-2", 0))  # fmt: skip
    out = tmp_path / "r.csv"
    assert cli("report", tmp_path / "l", "--snapshot", site["snapshot"], "--trust",
               site["trust"], "-o", out).exit_code == 0  # fmt: skip
    text = out.read_text(encoding="utf-8")
    for line in text.splitlines():
        assert line.startswith('"') and line.endswith('"'), line
        # As a spreadsheet splitting on ; or , (ignoring quotes) would read it:
        for part in re.split(r"[;,]", line.replace('"', "")):
            assert not part.lstrip(" ").startswith(("=", "+", "-", "@")), (part, line)
    rows = list(csv.DictReader(io.StringIO(text)))
    queries = [r["query"] for r in rows if r["kind"] == "quick_open"]
    assert queries == ["x;'=cmd|' /C calc'!A0;y", "a,'+1+1, '@SUM(A1);'-2"]


# -- JSON that strict parsers accept --------------------------------------------------

BAD_NAME = b"case\xff\xfe-42.ledger"


def strict_utf8(text: str) -> object:
    doc = json.loads(text)
    json.dumps(doc, ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    return doc


@pytest.fixture
def bad_named(site, tmp_path) -> Path:
    return ledger(site, tmp_path / "l", View(PATH, site["blob"], 1, 10, 0, 80), name=BAD_NAME)


def _check_name(fields: dict, key: str) -> None:
    assert fields[key].endswith("case\ufffd\ufffd-42.ledger")
    assert base64.b64decode(fields[f"{key}_b64"]).endswith(BAD_NAME)


def test_verify_json_names_a_file_that_is_not_utf8(site, bad_named):
    result = cli("verify", bad_named, "--trust", site["trust"], "--json")
    doc = strict_utf8(result.stdout)
    _check_name(doc["ledgers"][0], "path")


def test_who_viewed_json_names_a_file_that_is_not_utf8(site, bad_named):
    result = cli("who-viewed", "src/a.c", bad_named, "--trust", site["trust"], "--json",
                 "--no-cache")  # fmt: skip
    doc = strict_utf8(result.stdout)
    _check_name(doc["ledgers"][0], "ledger_path")
    _check_name(doc["sightings"][0], "ledger_path")


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_report_json_names_a_file_that_is_not_utf8(site, bad_named, tmp_path, suffix):
    out = tmp_path / f"r{suffix}"
    assert cli("report", bad_named, "--snapshot", site["snapshot"], "--trust", site["trust"],
               "-o", out).exit_code == 0  # fmt: skip
    docs = [strict_utf8(line) for line in out.read_text().splitlines()]
    if suffix == ".json":
        (doc,) = docs
        _check_name(doc["ledgers"][0], "path")
        _check_name(doc["coverage"][0]["sessions"][0], "ledger")
    else:
        # Coverage records are per reviewer and name no ledger.
        ledger_records = [r for r in docs if r["record"] in ("ledger", "event")]
        assert {r["record"] for r in ledger_records} == {"ledger", "event"}
        for record in ledger_records:
            _check_name(record, "ledger_path")


_SPREADSHEET_TEXT = st.text(alphabet=st.sampled_from(" ,;=+-@\t\rAb1'\"é"), max_size=12)


@settings(max_examples=500, deadline=None)
@given(_SPREADSHEET_TEXT)
def test_csv_defuse_marks_every_formula_start_its_quick_check_lets_through(text):
    """`defuse` skips the substitution for cells its quick check clears: that check
    must never clear a cell in which the substitution would mark a place."""
    assert report_csv.defuse(text) == report_csv._FORMULA_AT.sub(r"\1\2'", text)
