"""Issue 12: every file of the demo sample, the empty one included, and the boring
shapes it lacks (tests/test_e2e_tmux_crashes.py's BORING), opened in the real
`cleanroom review` in a real terminal (tmux) and paged through (PageDown, End,
PageUp, Home), each page drawn before the next key; the review exits 0, its
ledger verifies INTACT, no "Traceback" is shown, and none of the sequences a
hostile file could smuggle (test_e2e_tmux.FORBIDDEN) ever reached the terminal.

Each page is proved twice:
- by the screen: after each key that moves the view, the walk waits until the
  code view's gutter shows exactly that view's line numbers, top row to bottom
  (the rows past a short file's end blank), and under the file's banner; the
  next key is sent only then. A key that cannot move the view (End on the last
  page, every key in a file shorter than the screen) is sent without a wait;
- by the ledger: a view is recorded before it is drawn, and each file's views,
  in order, must be exactly the screens the keys lead to (a key that does not
  move records nothing). Two keys that reached the app in one read would draw one
  frame and record one view: a view would be missing. So must every file's
  `file_open`, in the walk's order, with the line count of its bytes counted here.

What a screen must be is worked out here from the file's bytes (`lines_of`,
`screens`), not asked of the app, and waited for exactly (`Tmux.wait_until`), not
by a quiet period (`settle`: 0.15 s at least, five times a file). Files are
opened by quick open, the whole path typed in one `send-keys` with its Enter
(the box picks once the list for the whole query is shown), so one match a
file, not one a character.

This replaces a walk of the same files by the app under Pilot (`open_path`
called directly, ~0.3 CPU-s a file), which proved the same views by the ledger
but nothing on a real terminal's screen, and did not open by quick open; and
test_e2e_tmux_crashes.py's walk of one file of each kind (`one_of_each_kind`,
still asserted here: every kind is in what is walked)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.snapshot.create import create_snapshot
from tests.ledgerkit import Kit, read_rows, seeded_key
from tests.test_e2e_tmux import end_clean, review_command, workstation  # noqa: F401 (a fixture)
from tests.test_e2e_tmux_crashes import (
    BORING,
    EMPTY,
    ROWS,
    box_listed,
    one_of_each_kind,
    sample_files,
)
from tests.tmuxkit import Tmux

SHARDS = 4  # ~330 files: 4 tests the xdist workers share (tests/longfirst.py: long first)
KEYS = ("PageDown", "End", "PageUp", "Home")  # to the end and back
HEX_WIDTH = 16  # bytes a row of a binary file's hex view
SNIFF = 8192  # a NUL in the first SNIFF bytes: binary (docs/snapshot-format.md)
CODE_TOP = 2  # screen rows: the title, the banner, then ROWS rows of code

View = tuple[int, int]


def lines_of(data: bytes) -> int:
    """The line count the ledger must give a file: its lines (a last one without a
    line feed counts), or for a binary file its hex rows of 16 bytes."""
    if b"\0" in data[:SNIFF]:
        return max(1, -(-len(data) // HEX_WIDTH))
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def screens(lines: int) -> list[View]:
    """(first, last) on screen once the file is open, and after each of KEYS. An
    empty file shows one empty line."""
    shown = max(1, lines)
    bottom = max(1, shown - ROWS + 1)  # End's first line

    def at(first: int) -> View:
        return first, min(first + ROWS - 1, shown)

    return [at(1), at(min(1 + ROWS, bottom)), at(bottom), at(max(1, bottom - ROWS)), at(1)]


def recorded(views: list[View]) -> list[View]:
    """The views a walk through `views` records: a key that does not move, nothing."""
    return [v for i, v in enumerate(views) if i == 0 or v != views[i - 1]]


def shows(screen: str, name: str, view: View, lines: int) -> bool:
    """Whether `screen` is `name` open at `view`: its banner, then each code row's
    gutter numbered first..last (right-aligned to the widest number, then a space
    or the flag `!`), and no number on a row past the last. A captured row ends at its
    last non-blank cell."""
    rows = screen.split("\n")
    if len(rows) < CODE_TOP + ROWS:
        return False
    banner = rows[CODE_TOP - 1]
    # The tree's right edge, the code view's left (-1 with the tree hidden; the
    # tree's own guides are drawn with the same character).
    edge = banner.find(f"│ {name}")
    if edge < 0 and not banner.startswith(f" {name}"):
        return False
    edge = max(edge, -1)
    after = banner[edge + 2 + len(name) :]  # "  (N lines)", ": hidden or control...", cut
    if after[:1] not in ("", " ", ":", "…"):
        return False
    width = len(str(max(1, lines)))
    first, last = view
    for y, row in enumerate(rows[CODE_TOP : CODE_TOP + ROWS]):
        gutter = row[edge + 1 : edge + width + 3].ljust(width + 2)  # an empty line's: cut
        if first + y <= last:
            if not re.fullmatch(rf"{first + y:>{width}}[ !] ", gutter):
                return False
        elif gutter.strip():
            return False
    return True


def open_and_page(term: Tmux, name: str, lines: int) -> None:
    """Open `name` by quick open, then press each of KEYS alone; wait for each screen
    that moves (`shows`) before the next key."""
    term.keys("C-p")
    box_listed(term)  # a name typed before the box takes keys is lost
    term.type(name)
    term.keys("Enter")  # picks once the list for the whole name is shown
    want = screens(lines)
    term.wait_until(lambda s: shows(s, name, want[0], lines), f"{name} opened at {want[0]}", 60)
    for key, before, view in zip(KEYS, want, want[1:], strict=False):
        term.keys(key)
        if view != before:
            term.wait_until(lambda s, v=view: shows(s, name, v, lines), f"{name}: {key} to {view}")


def walked(tmp: Path) -> dict[str, bytes]:
    """The demo sample with the boring shapes added, its snapshot signed again: every
    file's bytes, by name. Every kind of `one_of_each_kind` is among them."""
    for name, data in BORING.items():
        (tmp / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "src" / name).write_bytes(data)
    (tmp / "s.snapshot").unlink()
    create_snapshot(tmp / "src", tmp / "s.snapshot", seeded_key("e2e/vendor"), name="e2e",
                    version="1")  # fmt: skip
    assert one_of_each_kind(tmp / "src")["empty"] == EMPTY
    return {name: (tmp / "src" / name).read_bytes() for name in sample_files(tmp / "src")}


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_file_of_the_demo_sample_opens_and_pages_in_a_real_terminal(workstation, shard):  # noqa: F811
    tmp = workstation
    every = walked(tmp)
    assert not every[EMPTY] and len(every) > 300
    files = sorted(every)[shard::SHARDS]
    lines = {name: lines_of(every[name]) for name in files}
    term = Tmux(tmp)
    try:
        # Its own network namespace: the host's network changes (other tests, other
        # programs) raised guard alerts whose locks swallowed the keys typed here.
        term.start(f"unshare --net {review_command(tmp)} --allow-network; echo EXIT=$?;"
                   " sleep 30", {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=60)
        term.keys("Enter")
        term.wait_for("RECORDING")
        for name in files:
            open_and_page(term, name, lines[name])
        ledger = end_clean(term, tmp)  # exit 0, INTACT; nothing forbidden reached the terminal
        done = term.screen()
    finally:
        term.close()
    assert "Traceback" not in done
    got = [decode_body(b) for _, b, _ in read_rows(ledger)]
    opens = [i for i, e in enumerate(got) if e.kind == "file_open"]
    assert [got[i].payload["path"] for i in opens] == files
    for name, at, end in zip(files, opens, [*opens[1:], len(got)], strict=True):
        assert got[at].payload["lines"] == lines[name], name
        views = [e.payload for e in got[at:end] if e.kind == "view"]
        assert {(v["path"], v["col"]) for v in views} == {(name, 0)}, name
        assert [(v["first"], v["last"]) for v in views] == recorded(screens(lines[name])), name
    assert verify_path(ledger, Kit("e2e").trust).status == "INTACT"


def screen_of(name: str, numbers: list[str], tree: bool = True) -> str:
    """A captured 120x36 screen: `name`'s banner, then code rows whose gutters read
    `numbers` (an empty line's row ends at its number), the rest blank."""
    left = "│".rjust(36) if tree else ""
    rows = [" Cleanroom", f"{left} {name}  (9 lines)"]
    rows += [f"{left}{n}" for n in numbers] + [left] * (ROWS - len(numbers))
    return "\n".join([*rows, "", " ● RECORDING", " ^p Open file"])


def test_the_screen_check_takes_only_that_file_at_that_view():
    """`shows` is what proves each page on screen: it must refuse any other one."""
    ok = screen_of("a/b.py", ["1  x = 1", "2", "3! ⟨RLO⟩"])
    assert shows(ok, "a/b.py", (1, 3), 3)
    assert shows(screen_of("a/b.py", ["1  x = 1", "2", "3  y"], tree=False), "a/b.py", (1, 3), 3)
    assert not shows(ok, "a/b.p", (1, 3), 3)  # another file's name, a prefix of it
    assert not shows(ok, "b.py", (1, 3), 3)
    assert not shows(ok, "a/b.py", (2, 3), 3)
    assert not shows(ok, "a/b.py", (1, 2), 3)  # a row past the last is numbered
    assert not shows(ok, "a/b.py", (1, 3), 10)  # numbers not right-aligned to "10"
    torn = screen_of("a/b.py", [f"{n:>2}  x" for n in [32, 33, *range(3, 32)]])
    assert not shows(torn, "a/b.py", (32, 62), 62)  # a frame's top over the last one
    assert shows(screen_of("e", ["1"]), "e", (1, 1), 0)  # an empty file: one empty line
    assert not shows(screen_of("e", []), "e", (1, 1), 0)


def test_the_screens_a_walk_must_record():
    assert recorded(screens(0)) == [(1, 1)]
    assert recorded(screens(ROWS)) == [(1, ROWS)]
    assert recorded(screens(ROWS + 1)) == [(1, ROWS), (2, ROWS + 1), (1, ROWS)]
    assert recorded(screens(388)) == [(1, 31), (32, 62), (358, 388), (327, 357), (1, 31)]
    assert [lines_of(b) for b in (b"", b"x", b"\n", b"a\nb", b"a\r\nb\r\n", b"\0" * 33)] == [
        0, 1, 1, 2, 2, 3,
    ]  # fmt: skip
