"""Replay: a session recorded through the real reviewer app is shown again, step by
step, exactly as the reviewer's code view drew it; searches are re-run and checked."""

import asyncio
import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from textual.widgets import OptionList

from cleanroom.forensics.replay import Replay, WhenError, check_search, parse_when
from cleanroom.forensics.timeline import read_timeline, typed_event
from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.session.events import Search
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.snapshot.create import create_snapshot
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.filetree import FileTree
from cleanroom.tui.replay.app import ReplayApp
from cleanroom.tui.replay.cast import write_cast
from cleanroom.tui.replay.stage import stage_of
from cleanroom.tui.replay.view import ReplayView
from tests.ledgerkit import Kit, forge
from tests.replaykit import SIZE, record
from tests.tuikit import listed, sample_source

BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

STEPS = [
    ("ctrl+p", *"long.py", "enter"),
    ("pagedown",),
    ("pagedown",),
    ("down",),
    ("up",),
    ("colon", *"4000", "enter"),
    ("end",),
    ("home",),
    ("right_curly_bracket",),  # `}`: no empty line below, so the last line (a goto)
    ("left_curly_bracket",),  # `{`: from that line, back to the first
    ("ctrl+p", *"README", "enter"),
    ("right_curly_bracket",),  # to its empty line 2
    ("ctrl+p", *"main.c", "enter"),  # hostile: bidi and escape sequences
    ("s", *"value_42", "enter"),
    ("enter",),  # opens the first hit
    ("n",),
    ("s", *"nothing_like_this", "enter"),
    ("escape",),  # back to the code: recorded again
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One session for the module: recording it through the app takes seconds."""
    return asyncio.run(record(Kit(), tmp_path_factory.mktemp("replay"), STEPS))


def replay_of(kit, recorded):
    timeline = read_timeline(recorded.ledger, kit.trust)
    replay = Replay(timeline, recorded.source)
    replay.check_searches()
    return replay


def view_lines(view):
    return ["".join(seg.text for seg in view.render_line(y)) for y in range(view.size.height)]


async def test_each_viewport_is_drawn_as_the_reviewer_saw_it(kit, recorded):
    replay = replay_of(kit, recorded)
    assert replay.timeline.status.value == "INTACT"
    app = ReplayApp(replay, "replay")
    compared = 0
    async with app.run_test(size=SIZE) as pilot:
        for entries, shown in recorded.shown.items():
            app.show(replay.index_of_seq(entries - 1))
            await pilot.pause()
            view = app.query_one(ReplayView)
            assert view.display, (entries, replay.steps[app.index].entry.kind)
            drawn = view_lines(view)
            assert drawn == shown[: len(drawn)]
            assert all(not line.strip() for line in shown[len(drawn) :])
            compared += 1
    assert compared >= 10
    assert any("⟨RLO⟩" in line for s in recorded.shown.values() for line in s)


async def test_search_results_show_the_rows_the_reviewer_saw(kit, recorded):
    replay = replay_of(kit, recorded)
    searches = [s for s in replay.steps if s.entry.kind in ("search", "search_start")]
    assert len(searches) >= 2 and len(replay.searches) == len(searches)  # a first page each, or not
    assert all(c.ok for c in replay.searches.values())
    index = next(i for i, s in enumerate(replay.steps) if s.entry.kind == "search_results_view")
    app = ReplayApp(replay, "replay")
    async with app.run_test(size=SIZE) as pilot:
        app.show(index)
        await pilot.pause()
        assert not app.query_one(ReplayView).display
        text = str(app.query_one("#results").render())
        assert "src/long.py:43: value_42 = 42" in text
        assert "same results" in str(app.query_one("#banner").render())


async def test_a_search_whose_results_changed_is_reported(kit, recorded):
    replay = replay_of(kit, recorded)
    seq, check = next((k, c) for k, c in replay.searches.items()
                      if isinstance(c.recorded, Search))  # fmt: skip
    altered = dataclasses.replace(check.recorded, digest="00" * 32)
    bad = check_search(seq, altered, recorded.source)
    assert not bad.ok and bad.total == check.total
    replay.searches[seq] = bad
    index = next(
        i
        for i, st in enumerate(replay.steps)  # its result rows
        if st.entry.kind == "search_results_view" and st.entry.event.search_seq == seq
    )
    app = ReplayApp(replay, "replay")
    async with app.run_test(size=SIZE) as pilot:
        app.show(index)
        await pilot.pause()
        assert "MISMATCH" in str(app.query_one("#banner").render())
        assert f"1 of {len(replay.searches)} DIFFER" in str(app.query_one("#status").render())


async def test_keys_step_jump_and_play(kit, recorded):
    replay = replay_of(kit, recorded)
    app = ReplayApp(replay, "replay")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "right", "right")
        assert app.index == 3
        await pilot.press("left")
        assert app.index == 2
        await pilot.press("end")
        assert app.index == len(replay) - 1
        await pilot.press("t", *"#5", "enter")
        await pilot.pause()
        assert replay.steps[app.index].entry.seq == 5
        await pilot.press("t", *"nonsense", "enter")
        await pilot.pause()
        assert "not a moment" in str(app.screen.query_one("#why").render())
        await pilot.press("escape")
        await pilot.press("plus", "plus", "plus", "plus", "plus", "plus", "plus")
        assert app.speed == 64
        await pilot.press("minus")
        assert app.speed == 32
        await pilot.press("home", "space")
        for _ in range(100):  # steps 1 ms apart: playing reaches the end quickly
            await pilot.pause(0.05)
            if app.index == len(replay) - 1:
                break
        assert app.index == len(replay) - 1
        await pilot.press("s")
        await pilot.press("home", "s")
        assert replay.steps[app.index].entry.kind in ("search", "search_start")  # a first page


async def test_replay_is_locked_down(kit, recorded):
    replay = replay_of(kit, recorded)
    app = ReplayApp(replay, "replay")
    blocked = []
    app.on_blocked = lambda action, detail="": blocked.append(action)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c", "ctrl+p", "ctrl+s")
        assert await app.run_action("screenshot") is False
        assert await app.run_action("end_session") is False  # a reviewer action, not replay's
        app.copy_to_clipboard("secret")
        await pilot.pause()
    assert "screenshot" in blocked and "end_session" in blocked and "copy" in blocked


def test_moments(kit, tmp_path):
    from cleanroom.forensics.timeline import Timeline
    from cleanroom.ledger.verdict import Verdict
    from tests.forensicskit import entry

    times = [0, 1500, 61_000, 3_600_000]
    entries = [entry(i, "idle", ms, after_s=1) for i, ms in enumerate(times)]
    replay = Replay(Timeline("x", Verdict.__new__(Verdict), entries), None)
    assert parse_when("#2", replay) == 2
    assert parse_when("+1.5", replay) == 1
    assert parse_when("+1:00", replay) == 1
    assert parse_when("+1:01", replay) == 2
    assert parse_when("+1:00:00", replay) == 3
    start = replay.steps[0].entry.time  # 2026-09-21T...Z
    assert parse_when(start[:-1], replay) == 0
    assert parse_when(start[11:19], replay) == 0
    for bad in ("#99", "#x", "25:00", "yesterday", ""):
        with pytest.raises(WhenError):
            parse_when(bad, replay)


# -- the command ---------------------------------------------------------------------


def run_replay(recorded, tmp_path, *args, trust=None):
    pub = tmp_path / "vendor.pub"
    if not pub.exists():
        write_public_key(pub, Kit().vendor.public_key(), role=Role.VENDOR_ROOT)
    argv = [f"{BIN}/cleanroom", "replay", *args, "--trust", trust or pub]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_cast_export_is_asciicast_v2_with_the_reviewers_viewports(recorded, tmp_path):
    out = tmp_path / "session.cast"
    done = run_replay(recorded, tmp_path, recorded.ledger, "--snapshot", recorded.snapshot,
                      "--cast", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    runs = sum(
        e.kind in ("search", "search_start")
        for e in read_timeline(recorded.ledger, Kit().trust).entries
    )
    assert runs >= 2 and f"searches: {runs} run again, 0 differ" in done.stderr
    header, *frames = [json.loads(line) for line in out.read_text().splitlines()]
    assert header["version"] == 2 and header["width"] >= 80 and header["height"] >= 24
    timeline = read_timeline(recorded.ledger, Kit().trust)
    assert len(frames) == len(timeline.entries)
    times = [f[0] for f in frames]
    assert times == sorted(times) and times[0] == 0 and {f[1] for f in frames} == {"o"}
    for entries, shown in recorded.shown.items():
        screen = ANSI.sub("", frames[entries - 1][2]).split("\r\n")
        drawn = [line for line in shown if line.strip()]
        assert [line.rstrip() for line in screen[2 : 2 + len(drawn)]] == [
            line.rstrip() for line in drawn]  # fmt: skip
    for _, _, data in frames:  # nothing but SGR colours and the clear-screen
        text = ANSI.sub("", data).replace("\r\n", "")
        assert set(re.findall(r"\x1b\[[0-9;]*([A-Za-z])", data)) <= {"m", "H", "J"}
        assert not [c for c in text if unicodedata.category(c) in ("Cc", "Cf")], text
    assert any("⟨RLO⟩" in data for _, _, data in frames)


def test_a_cast_can_start_at_a_moment(recorded, tmp_path):
    out = tmp_path / "from5.cast"
    done = run_replay(recorded, tmp_path, recorded.ledger, "--snapshot", recorded.snapshot,
                      "--cast", out, "--at", "#5")  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, first, *rest = (json.loads(x) for x in out.read_text().splitlines())
    assert first[0] == 0 and ANSI.sub("", first[2]).startswith("#5 ")
    timeline = read_timeline(recorded.ledger, Kit().trust)
    assert len(rest) + 1 == len(timeline.entries) - 5
    assert header["timestamp"] == timeline.entries[5].wall_us // 1_000_000


def test_a_tampered_ledger_is_refused(recorded, tmp_path):
    copy = tmp_path / "copy.ledger"
    shutil.copyfile(recorded.ledger, copy)
    copy.chmod(0o644)
    forge(copy, 3, None, kind="blocked")  # an unsigned change: TAMPERED
    done = run_replay(recorded, tmp_path, copy, "--snapshot", recorded.snapshot,
                      "--cast", tmp_path / "x.cast")  # fmt: skip
    assert done.returncode == 1 and "TAMPERED" in done.stderr and "refused" in done.stderr
    assert not (tmp_path / "x.cast").exists()
    marked = run_replay(recorded, tmp_path, copy, "--snapshot", recorded.snapshot,
                        "--cast", tmp_path / "x.cast", "--include-tampered")  # fmt: skip
    assert marked.returncode == 1 and (tmp_path / "x.cast").exists()
    header, *frames = (json.loads(x) for x in (tmp_path / "x.cast").read_text().splitlines())
    assert "TAMPERED" in header["title"]
    assert frames and all("TAMPERED" in ANSI.sub("", f[2]).split("\r\n")[0] for f in frames)


def test_the_wrong_snapshot_or_a_bad_moment_is_a_usage_error(recorded, tmp_path, kit):
    other = tmp_path / "other-src"
    other.mkdir()
    (other / "a.txt").write_bytes(b"other\n")
    create_snapshot(other, tmp_path / "other.snapshot", Kit().vendor, name="o", version="1")
    done = run_replay(recorded, tmp_path, recorded.ledger, "--snapshot",
                      tmp_path / "other.snapshot", "--cast", tmp_path / "x.cast")  # fmt: skip
    assert done.returncode == 2 and "the session reviewed snapshot" in done.stderr
    bad = run_replay(recorded, tmp_path, recorded.ledger, "--snapshot", recorded.snapshot,
                     "--at", "#9999", "--cast", tmp_path / "x.cast")  # fmt: skip
    assert bad.returncode == 2 and "no entry with seq 9999" in bad.stderr
    assert "searches:" not in bad.stderr  # refused before running the searches again
    untrusted = tmp_path / "k.pub"
    write_public_key(untrusted, kit.reviewer.public_key(), role=Role.VENDOR_ROOT)
    refused = run_replay(recorded, tmp_path, recorded.ledger, "--snapshot", recorded.snapshot,
                         "--cast", tmp_path / "x.cast", trust=untrusted)  # fmt: skip
    assert refused.returncode in (1, 2) and not (tmp_path / "x.cast").exists()


@pytest.mark.parametrize("rows", ["none", "not a session_start"])
def test_a_ledger_with_no_session_start_has_nothing_to_replay(recorded, tmp_path, rows):
    """With --include-tampered, an empty ledger (or one whose first entry is no
    session_start) reached the snapshot check and said it reviewed "snapshot None"."""
    import sqlite3

    from cleanroom.ledger.schema import APPLICATION_ID, ENTRIES_DDL, USER_VERSION

    path = tmp_path / "empty.ledger"
    with sqlite3.connect(path) as conn:
        conn.execute(ENTRIES_DDL)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {USER_VERSION}")
        if rows != "none":
            with sqlite3.connect(recorded.ledger) as genuine:
                row = genuine.execute("SELECT seq, body, sig FROM entries WHERE seq = 1").fetchone()
            conn.execute("INSERT INTO entries VALUES (?, ?, ?)", row)
    conn.close()
    done = run_replay(recorded, tmp_path, path, "--snapshot", recorded.snapshot,
                      "--cast", tmp_path / "x.cast", "--include-tampered")  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "None" not in done.stderr and "Traceback" not in done.stderr
    assert "nothing to replay" in done.stderr
    assert not (tmp_path / "x.cast").exists()


async def record_names(kit, workdir):
    """A session that lists names: the tree's root at start, a quick open for `src`
    (its names captured as the box drew them) cancelled with Escape, and the tree's
    `src/` expanded (its labels captured as the tree drew them)."""
    source = sample_source(kit, workdir)
    (workdir / "ledgers").mkdir()
    ledger = kit.new_ledger(workdir / "ledgers", snapshot=source.ref)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
    app = ReviewApp(ReviewSession(Recorder(ledger), source, facts), countersigner=kit.reviewer)
    drawn = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await listed(pilot)
        tree = app.query_one(FileTree)
        drawn["root"] = [str(n.label) for n in tree.root.children]
        await pilot.press("ctrl+p", *"src")
        for _ in range(60):
            await pilot.pause(0.05)
            if app.screen.shown_for == "src":
                break
        options = app.screen.query_one(OptionList)
        drawn["src"] = [str(options.get_option_at_index(i).prompt)
                        for i in range(options.option_count)]  # fmt: skip
        await pilot.press("escape")
        await pilot.pause()
        src = next(n for n in tree.root.children if n.data.path == b"src")
        tree.focus()
        tree.move_cursor(src)
        await pilot.press("space")
        await listed(pilot)
        drawn["src/"] = [str(n.label) for n in src.children]
        await pilot.press("q", "y")
        await pilot.pause()
    return ledger.path, source, drawn


def name_list(replay, kind, key, value):
    return next(i for i, s in enumerate(replay.steps)
                if s.entry.kind == kind and s.entry.payload.get(key) == value)  # fmt: skip


async def test_name_lists_are_drawn_as_the_reviewer_saw_them(kit, tmp_path):
    path, source, drawn = await record_names(kit, tmp_path)
    replay = Replay(read_timeline(path, kit.trust), source)
    root = name_list(replay, "tree_list", "path", "")
    typed = name_list(replay, "quick_open_list", "query", "src")
    src = name_list(replay, "tree_list", "path", "src")
    assert "src/bad⟨xFF⟩name.txt" in drawn["src"]  # a hostile name, as the reviewer saw it
    app = ReplayApp(replay, "replay")
    async with app.run_test(size=SIZE) as pilot:
        for index, want in ((root, drawn["root"]), (typed, drawn["src"]), (src, drawn["src/"])):
            stage = stage_of(replay, index)
            assert stage.kind == "names" and not stage.alarm, stage
            assert [r.plain for r in stage.rows] == want
            app.show(index)
            await pilot.pause()
            assert not app.query_one(ReplayView).display
            assert str(app.query_one("#results").render()).split("\n") == want
    banner = stage_of(replay, typed).banner.plain
    assert "Quick open “src”: 3 names listed of 3 matching" in banner


def test_a_tree_listing_of_before_pages_draws_the_whole_directory(kit, recorded):
    replay = replay_of(kit, recorded)
    index = name_list(replay, "tree_list", "path", "")
    step = replay.steps[index]
    old, why = typed_event("tree_list", {"path": "", "entries": 3})  # as written before pages
    assert why is None and (old.start, old.total) == (0, -1)
    replay.steps[index] = dataclasses.replace(
        step, entry=dataclasses.replace(step.entry, event=old)
    )
    stage = stage_of(replay, index)
    assert stage.kind == "names" and [r.plain for r in stage.rows] == ["bin/", "src/", "README.md"]


def test_a_tree_listing_the_snapshot_does_not_hold_is_not_drawn(kit, recorded):
    replay = replay_of(kit, recorded)
    index = name_list(replay, "tree_list", "path", "")
    step = replay.steps[index]
    event = dataclasses.replace(step.entry.event, entries=99, total=99)
    wrong = dataclasses.replace(step.entry, event=event)
    replay.steps[index] = dataclasses.replace(step, entry=wrong)
    stage = stage_of(replay, index)
    assert stage.kind == "message" and stage.alarm and not stage.rows
    assert "not 99" in stage.message
    blind = Replay(replay.timeline, None)  # no snapshot: the names cannot be known
    assert stage_of(blind, index).kind == "message" and stage_of(blind, index).alarm
    past = dataclasses.replace(step.entry.event, start=2, entries=2)  # names 3-4 of 3
    past_entry = dataclasses.replace(step.entry, event=past)
    replay.steps[index] = dataclasses.replace(step, entry=past_entry)
    stage = stage_of(replay, index)
    assert stage.kind == "message" and stage.alarm and not stage.rows


def test_the_cast_draws_the_names_listed(kit, tmp_path):
    path, source, drawn = asyncio.run(record_names(kit, tmp_path))
    replay = Replay(read_timeline(path, kit.trust), source)
    out = io.StringIO()
    write_cast(replay, out, "names")
    frames = [ANSI.sub("", json.loads(line)[2]) for line in out.getvalue().splitlines()[1:]]
    listed = [f for f in frames if "Quick open “src”" in f]
    assert listed and all(name in listed[-1] for name in drawn["src"])


@pytest.mark.parametrize("payload", [
    {"entries": -1},
    {"entries": 3, "start": -1, "total": 3},
    {"entries": 3, "start": 1, "total": 3},  # names 2-4 of 3
    {"entries": 1, "start": 0, "total": -2},
])  # fmt: skip
def test_a_tree_list_that_is_no_page_does_not_fit(payload):
    event, why = typed_event("tree_list", {"path": "", **payload})
    assert event is None and "not a page of the listing" in why


def test_a_partial_quick_open_list_is_drawn_as_partial(kit, recorded):
    """A bounded request that stopped early (issue 12) says how far it searched."""
    partial = {"query": "e", "matches": 2, "searched": 512, "total": 200_000,
               "names": [{"path": "a/e"}]}  # fmt: skip
    event, why = typed_event("quick_open_list", partial)
    assert why is None
    replay = replay_of(kit, recorded)
    index = name_list(replay, "quick_open_list", "query", "")
    step = replay.steps[index]
    replay.steps[index] = dataclasses.replace(
        step, entry=dataclasses.replace(step.entry, event=event)
    )
    stage = stage_of(replay, index)
    assert stage.banner.plain.endswith(
        "“e”: 1 name listed of 2 matching in the first 512 of 200,000 names"
    )
    old, why = typed_event("quick_open_list", {"query": "e", "matches": 1, "names": []})
    assert why is None and (old.searched, old.total) == (-1, -1)  # before the bound


@pytest.mark.parametrize("payload", [
    {"matches": 0, "names": [{"path": "a"}]},  # listed more than matched
    {"matches": 101, "names": [{"path": "a"}] * 101},  # more than a list shows
    {"matches": 5, "names": [], "searched": 4, "total": 10},  # more matches than searched
    {"matches": 1, "names": [], "searched": 11, "total": 10},
    {"matches": 1, "names": [], "searched": -1, "total": 10},
])  # fmt: skip
def test_a_quick_open_list_that_is_no_bounded_match_does_not_fit(payload):
    event, why = typed_event("quick_open_list", {"query": "q", **payload})
    assert event is None and ("100" in why or "bounded" in why), why
