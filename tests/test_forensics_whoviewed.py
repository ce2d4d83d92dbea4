"""`cleanroom who-viewed` over sessions the real app recorded on two snapshot versions,
and its verification cache."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import time
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.cli import main
from cleanroom.forensics import timeline
from cleanroom.forensics.cache import DB_NAME, Cache
from cleanroom.forensics.versions import map_lines, matched_lines
from cleanroom.forensics.whoviewed import Target, TargetError
from cleanroom.session.events import Search
from tests.forensicskit import FILES, SIZE, begin, make_snapshot, review_app, seal, trust_file
from tests.ledgerkit import Kit, body_of, forge

HEADER = b"".join(b"# a line added in version 2: %d\n" % i for i in range(100))
FILES_V2 = {**FILES, b"src/long.py": HEADER + FILES[b"src/long.py"]}
HOSTILE_REVIEWER = "Eve\x1b]0;pwned\x07\u202eyddaD"


async def _session(app, goto: int | None, search: str | None = None, idle: bool = False):
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        app.open_path(b"src/long.py")
        await pilot.pause()
        if goto is not None:
            await pilot.press("colon", *str(goto), "enter")
            await pilot.pause()
        if search is not None:
            app.session.recorder.record(Search(search, False, False, [], [], 3, "22" * 32))
        if idle:
            # The 1 s idle timer only now: from the start, on a loaded machine, it
            # locked before the goto, which the lock then swallowed (no sighting).
            app.idle_seconds = 1
            for _ in range(300):
                await pilot.pause(0.1)
                if type(app.screen).__name__ == "IdleScreen":
                    break
            app.idle_seconds = 3600  # and no second lock after the "x" lifts this one
            await pilot.press("x")
            await pilot.pause()
        await seal(pilot)
    app.session.source.snapshot.close()
    return app.session.recorder.head


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Three sealed sessions of one workstation: Ada on v1 (lines 4000.., with an idle
    lock), Bob on v2 (the same code, now at 4100..), Eve on v1 (the top only)."""
    root = tmp_path_factory.mktemp("who")
    kit = Kit("forensics-who")
    v1 = make_snapshot(kit, root / "v1")
    v2 = make_snapshot(kit, root / "v2", FILES_V2, "2.0")
    ledgers = root / "ledgers"
    ledgers.mkdir()

    async def record_all():
        ada = review_app(kit, ledgers, v1, name="ada", idle_seconds=3600)
        head = await _session(ada, 4000, idle=True)
        bob = review_app(kit, ledgers, v2, name="bob", prev=head, reviewer="Bob Reviewer")
        head = await _session(bob, 4100, search="STRCPY(dst")
        eve = review_app(kit, ledgers, v1, name="eve", prev=head, reviewer=HOSTILE_REVIEWER)
        await _session(eve, None, search="memcpy vs strcpy\x1b[2J")

    asyncio.run(record_all())
    return {"kit": kit, "v1": v1, "v2": v2, "ledgers": ledgers, "trust": trust_file(kit, root)}


def who(site, target, *extra, ledgers=None, cache: Path | None = None):
    args = ["who-viewed", target, str(ledgers or site["ledgers"]), "--trust", str(site["trust"])]
    args += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return CliRunner().invoke(main, [*args, *map(str, extra)], catch_exceptions=False)


def as_json(result) -> dict:
    assert result.exit_code in (0, 1, 3), result.output
    return json.loads(result.stdout)


@pytest.fixture
def verify_calls(monkeypatch) -> list[str]:
    """The ledgers verified, in order (a cache hit verifies nothing)."""
    calls: list[str] = []
    real = timeline.verify_image

    def counting(image, *args, **kw):
        calls.append(image.name)
        return real(image, *args, **kw)

    monkeypatch.setattr(timeline, "verify_image", counting)
    return calls


# -- who, when and for how long --------------------------------------------------------


def test_a_range_is_followed_into_another_version_by_content(site):
    doc = as_json(who(site, "src/long.py:4000-4010", "--json", "--snapshot", site["v1"],
                      "--snapshot", site["v2"]))  # fmt: skip
    assert doc["status"] == "INTACT" and doc["exit_code"] == 0
    seen = [(s["reviewer"], s["content"], s["lines"]) for s in doc["sightings"]]
    assert seen == [
        ("Ada Reviewer", "same", [4000, 4010]),
        ("Bob Reviewer", "differs", [4100, 4110]),
    ]
    versions = {v["blob"]: v for v in doc["versions"]}
    ref = versions[doc["reference"]["blob"]]
    assert ref["reference"] and ref["lines"] == [4000, 4010]
    (other,) = [v for v in versions.values() if not v["reference"]]
    assert other["mapped"] and other["lines"] == [4100, 4110]
    assert all(s["status"] == "INTACT" for s in doc["sightings"])


def test_dwell_excludes_the_idle_lock(site):
    doc = as_json(who(site, "src/long.py:4005", "--json"))
    (ada,) = doc["sightings"]
    # SteppingClock: 1 ms per entry. view, idle (+1 ms), active (+1 ms), the view the
    # app records again before the screen returns (+1 ms), seal (+1 ms): on screen
    # from the view to the idle and from the new view to the seal; not in between.
    assert ada["dwell_us"] == 2000 and ada["intervals"] == 2, ada


def test_without_a_snapshot_line_numbers_are_compared_as_they_are(site):
    doc = as_json(who(site, "src/long.py:4000-4010", "--json"))
    assert [s["reviewer"] for s in doc["sightings"]] == ["Ada Reviewer"]
    assert doc["sightings"][0]["content"] == "unknown" and doc["reference"] is None
    assert len(doc["versions"]) == 2  # both contents of the path were on screen


def test_a_whole_file_lists_every_session_and_says_when_content_differed(site):
    result = who(site, "src/long.py", "--snapshot", site["v1"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("SEEN ") == 3 and out.count("CONTENT DIFFERED") == 1
    assert "Bob Reviewer" in out.split("CONTENT DIFFERED")[1].splitlines()[1]


def test_lines_nobody_saw(site):
    result = who(site, "src/long.py:2000-2100", "--snapshot", site["v1"])
    assert result.exit_code == 0 and "nobody had these lines on screen" in result.stdout


def test_search_text_finds_queries_in_any_case(site):
    doc = as_json(who(site, "README.md", "--json", "--search", "strcpy"))
    assert [(m["reviewer"], m["query"]) for m in doc["searches"]] == [
        ("Bob Reviewer", "STRCPY(dst"),
        (HOSTILE_REVIEWER, "memcpy vs strcpy\x1b[2J"),
    ]
    assert doc["searches"][0]["hits"] == 3


def test_terminal_output_is_sanitized_and_json_is_ascii(site):
    text = who(site, "src/long.py", "--search", "strcpy").stdout
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "Eve⟨x1B⟩]0;pwned⟨x07⟩⟨RLO⟩yddaD" in text
    assert "“memcpy vs strcpy⟨x1B⟩[2J”" in text
    raw = who(site, "src/long.py", "--json", "--search", "strcpy").stdout
    assert raw.isascii() and "\x1b" not in raw


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("src/a.c", Target(b"src/a.c")),
        ("src/a.c:12", Target(b"src/a.c", 12, 12)),
        ("src/a.c:12-40", Target(b"src/a.c", 12, 40)),
        ("dir:x/a.c", Target(b"dir:x/a.c")),
        ("bad\udcffname:3-4", Target(b"bad\xffname", 3, 4)),  # a non-UTF-8 name from argv
    ],
)
def test_targets(text, want):
    assert Target.parse(text) == want


@pytest.mark.parametrize("text", ["a.c:0", "a.c:9-3", ""])
def test_bad_targets(text):
    with pytest.raises(TargetError):
        Target.parse(text)


def test_a_bad_range_is_a_usage_error(site):
    assert who(site, "src/long.py:9-3").exit_code == 2


def test_map_lines_follows_moved_and_edited_code():
    old = [b"a", b"b", b"c", b"d", b"e"]
    new = [b"x", b"y", b"a", b"b", b"C", b"d", b"e"]
    assert map_lines(old, new, 1, 2) == (3, 4)
    assert map_lines(old, new, 2, 4) == (4, 6)  # c was edited; b and d still bound it
    assert map_lines(old, new, 3, 3) is None  # the only line is gone


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"f"]), max_size=40),
       st.lists(st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"f"]), max_size=40))  # fmt: skip
def test_matched_lines_pair_equal_lines_in_order(old, new):
    pairs = matched_lines(old, new)
    assert all(old[i] == new[j] for i, j in pairs)
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in zip(pairs, pairs[1:], strict=False))
    if old == new:
        assert pairs == [(i, i) for i in range(len(old))]


@pytest.mark.parametrize(
    "old, new",
    [
        ([b"x"] * 50_000, [b"x"] * 24_999 + [b"y"] + [b"x"] * 25_000),
        ([b"a", b"b"] * 25_000, [b"b", b"a"] * 25_000),
        ([b"%d" % (i % 7) for i in range(50_000)], [b"%d" % (i % 5) for i in range(50_000)]),
        ([b"%d" % i for i in range(50_000)], [b"%d" % i for i in range(50_000)][::-1]),
    ],
    ids=["repeated", "swapped-pairs", "cycles", "reversed"],
)
def test_mapping_50k_hostile_lines_is_quick(old, new):
    """difflib took 54 s on 20k repeated lines and minutes on 50k, per query. The
    bound is this process's CPU time: the wall clock failed it at load 20 (7 s)."""
    t = time.process_time()
    map_lines(old, new, 20_000, 20_100)
    assert time.process_time() - t < 5


# -- tampered ledgers ----------------------------------------------------------------


def ledger_of(directory: Path, reviewer: str) -> Path:
    return next(
        p for p in directory.glob("*.ledger")
        if body_of(p, 0).payload["reviewer"]["name"] == reviewer
    )  # fmt: skip


@pytest.fixture
def with_tampered(site, tmp_path) -> Path:
    """A copy of the ledgers in which Bob's session was edited."""
    copy = tmp_path / "ledgers"
    shutil.copytree(site["ledgers"], copy)
    forge(ledger_of(copy, "Bob Reviewer"), 2, None, wall_us=1)
    return copy


def test_a_tampered_ledger_is_withheld_and_named(site, with_tampered):
    result = who(site, "src/long.py", "--search", "strcpy", ledgers=with_tampered)
    assert result.exit_code == 1
    out = result.stdout
    assert "Bob Reviewer" not in out and "WITHHELD" in out and "SIGNATURE" in out
    assert "overall: TAMPERED" in out
    doc = as_json(who(site, "src/long.py", "--json", "--search", "strcpy", ledgers=with_tampered))
    assert [x["reviewer"] for x in doc["sightings"]] == ["Ada Reviewer", HOSTILE_REVIEWER]
    assert all(m["reviewer"] != "Bob Reviewer" for m in doc["searches"])
    withheld = [x for x in doc["ledgers"] if x["withheld"]]
    assert [x["status"] for x in withheld] == ["TAMPERED"]


def test_included_tampered_sessions_are_marked(site, with_tampered):
    doc = as_json(who(site, "src/long.py", "--json", "--include-tampered", ledgers=with_tampered))
    statuses = {x["reviewer"]: x["status"] for x in doc["sightings"]}
    assert statuses["Bob Reviewer"] == "TAMPERED" and statuses["Ada Reviewer"] == "INTACT"
    assert doc["exit_code"] == 1


# -- the cache -------------------------------------------------------------------------


def test_a_second_query_does_not_verify_again(site, tmp_path, verify_calls):
    cache = tmp_path / "cache"
    first = as_json(who(site, "src/long.py:4000-4010", "--json", cache=cache))
    assert len(verify_calls) == 3 and not any(x["from_cache"] for x in first["ledgers"])
    second = as_json(who(site, "src/long.py:4000-4010", "--json", cache=cache))
    assert len(verify_calls) == 3 and all(x["from_cache"] for x in second["ledgers"])
    assert second["sightings"] == first["sightings"] and second["status"] == "INTACT"
    other = as_json(who(site, "README.md", "--json", "--search", "strcpy", cache=cache))
    assert len(verify_calls) == 3 and len(other["searches"]) == 2
    assert (cache.stat().st_mode & 0o777) == 0o700


def test_a_modified_ledger_is_verified_again(site, tmp_path, verify_calls):
    cache = tmp_path / "cache"
    copy = tmp_path / "ledgers"
    shutil.copytree(site["ledgers"], copy)
    as_json(who(site, "src/long.py", "--json", ledgers=copy, cache=cache))
    bob = ledger_of(copy, "Bob Reviewer")
    forge(bob, 2, None, wall_us=1)
    verify_calls.clear()
    doc = as_json(who(site, "src/long.py", "--json", ledgers=copy, cache=cache))
    assert verify_calls == [str(bob)]
    assert {x["ledger_path"]: x["status"] for x in doc["ledgers"]}[str(bob)] == "TAMPERED"


def test_a_forged_cache_record_is_not_believed(site, tmp_path, verify_calls, with_tampered):
    """Someone without the cache key rewrites the cached verdict of a tampered ledger
    to INTACT: the record fails its MAC, and the ledger is verified again."""
    cache = tmp_path / "cache"
    as_json(who(site, "src/long.py", "--json", ledgers=with_tampered, cache=cache))
    conn = sqlite3.connect(cache / DB_NAME)
    rows = conn.execute("SELECT key, record FROM records").fetchall()
    forged = 0
    for key, record in rows:
        text = zlib.decompress(record)
        if b'"TAMPERED"' in text:
            text = text.replace(b'"TAMPERED"', b'"INTACT"').replace(
                b'"exit_code":1', b'"exit_code":0'
            )
            conn.execute("UPDATE records SET record = ? WHERE key = ?", (zlib.compress(text), key))
            forged += 1
    assert forged == 1
    conn.commit()
    conn.close()
    verify_calls.clear()
    doc = as_json(who(site, "src/long.py", "--json", ledgers=with_tampered, cache=cache))
    assert doc["status"] == "TAMPERED" and len(verify_calls) == 1


def test_a_cache_made_with_another_key_is_ignored(site, tmp_path, verify_calls):
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    as_json(who(site, "src/long.py", "--json", cache=theirs))
    mine.mkdir(mode=0o700)
    Cache.open(mine).close()  # my own key
    shutil.copy(theirs / DB_NAME, mine / DB_NAME)  # their records
    verify_calls.clear()
    doc = as_json(who(site, "src/long.py", "--json", cache=mine))
    assert len(verify_calls) == 3 and not any(x["from_cache"] for x in doc["ledgers"])


def test_a_damaged_cached_part_is_verified_again(site, tmp_path, verify_calls):
    cache = tmp_path / "cache"
    as_json(who(site, "src/long.py", "--json", cache=cache))
    conn = sqlite3.connect(cache / DB_NAME)
    conn.execute('UPDATE parts SET data = CAST(\'{"blobs":[],"rows":[]}\' AS BLOB)')
    conn.commit()
    conn.close()
    verify_calls.clear()
    doc = as_json(who(site, "src/long.py", "--json", cache=cache))
    assert len(verify_calls) == 3 and len(doc["sightings"]) == 3


def test_a_cache_others_can_write_is_not_used(site, tmp_path, verify_calls):
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chmod(cache, 0o777)
    result = who(site, "src/long.py", cache=cache)
    assert result.exit_code == 0 and "not using the cache" in result.stderr
    assert not (cache / DB_NAME).exists() and len(verify_calls) == 3


def test_every_who_viewed_field_is_documented(site):
    doc_md = (Path(__file__).resolve().parents[1] / "docs" / "who-viewed.md").read_text()
    doc = as_json(who(site, "src/long.py:4000", "--json", "--search", "strcpy",
                      "--snapshot", site["v1"]))  # fmt: skip
    fields = set(doc) | set(doc["target"]) | set(doc["reference"])
    for key in ("versions", "ledgers", "sightings", "searches"):
        for item in doc[key]:
            fields |= set(item)
    missing = sorted(f for f in fields if f"`{f}`" not in doc_md)
    assert not missing, f"docs/who-viewed.md does not describe {missing}"


def test_a_withheld_ledger_lends_nothing_to_the_answer(site, tmp_path):
    """Not even its content of the file shows up as a version."""
    copy = tmp_path / "ledgers"
    shutil.copytree(site["ledgers"], copy)
    forge(ledger_of(copy, "Bob Reviewer"), 2, None, wall_us=1)  # the only one on v2
    doc = as_json(who(site, "src/long.py", "--json", ledgers=copy))
    assert len(doc["versions"]) == 1 and doc["status"] == "TAMPERED"
