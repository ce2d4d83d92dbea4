"""Fidelity, measured in real terminals: a scripted review of more than 50 steps in
tmux, the screen captured after each step; then `cleanroom replay` in tmux of the
same size, jumped to the entry each capture's status bar names, must show the same
banner and the same code (or result rows, or the file names a quick open or the
tree listed), line for line."""

import re
import time

from cleanroom.forensics.replay import Replay
from cleanroom.forensics.timeline import read_timeline
from cleanroom.ledger.keys import Role, load_public_key
from cleanroom.sanitize import clean, decode
from cleanroom.session.events import path_from_fields
from tests.test_e2e_tmux import BIN, review_command, workstation  # noqa: F401 (fixture)
from tests.tmuxkit import Tmux

WIDTH, HEIGHT = 120, 36
# The replay's event list takes a third of its width: at 132 columns its viewer is
# as wide as the reviewer's at 120, so every row can be compared whole.
REPLAY_WIDTH = 132
LEFT = 36  # the file tree's width: the reviewer's viewer starts here
ENTRIES = re.compile(r"entries (\d+)")
SEARCH_ROW = re.compile(r"(\S+:\d+: .*)")
STATUS = re.compile(r"^ #\d+  \d+/\d+  ")  # the replay's status bar
BORDER = re.compile(r"[\s…▁-▟›]+$")  # the dialog's border, scrollbar, an ellipsis, a cut marker

OPEN = "C-p"
SCRIPT: list[tuple[str, ...]] = [
    (OPEN, "=tui/app.py", "Enter"),
    *[("Down",)] * 4,
    *[("PageDown",)] * 5,
    *[("Up",)] * 3,
    ("PageUp",),
    *[("Right",)] * 3,
    *[("Left",)] * 2,
    ("End",),
    ("Home",),
    (":", "=120", "Enter"),
    *[("Down",)] * 2,
    (OPEN, "=trojan", "Enter"),  # bidi and escape sequences, shown as tags
    ("Down",),
    (OPEN, "=ledger/writer.py", "Enter"),
    *[("PageDown",)] * 4,
    ("s", "=def append", "Enter"),
    ("Down",),
    ("Enter",),
    *[("Down",)] * 3,
    ("n",),
    ("N",),
    ("s", "=self", "Enter"),
    *[("Down",)] * 3,
    ("Escape",),
    *[("PageDown",)] * 3,
    *[("Right",)] * 2,
    (":", "=1", "Enter"),
    *[("Down",)] * 2,
    (OPEN, "=ledger/w"),  # the quick-open names, captured with the box open
    ("Escape",),
]


def stable(term: Tmux, needle: re.Pattern[str] = ENTRIES, timeout: float = 30.0) -> str:
    """The screen once it has settled (term.settle: two captures 0.15 s apart agree,
    nothing written and no CPU used in between: a program starved of CPU, or waiting
    on fsync, between drawing result rows and their entry count in the status bar,
    once passed for settled), showing `needle` (by default an entry count) and no
    search still running."""
    deadline = time.monotonic() + timeout
    while True:
        shown = term.settle(timeout=max(0.0, deadline - time.monotonic()))
        if needle.search(shown) and "Searching…" not in shown:
            return shown
        if time.monotonic() >= deadline:
            raise AssertionError(f"the screen did not settle:\n{shown}")
        term.pause()


# What each dialog always shows: typing waits for it (a key sent before the dialog
# is up goes to the screen below it), however long the machine takes to draw it.
DIALOG = {OPEN: "Type part of a path", "s": "Search the snapshot", ":": "Go to line (1-"}


def send(term: Tmux, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key.startswith("="):
            term.type(key[1:])
        else:
            term.keys(key)
            if key in DIALOG:
                term.wait_for(DIALOG[key])


def viewer_left(screen: str) -> int:
    """Where the replay's viewer starts: right of the event list's border, whose
    width follows the terminal's (a third of it, at least 36 columns)."""
    banner = screen.split("\n")[1]
    return banner.index("│") + 1


def region(screen: str, top: int, rows: int, left: int, width: int) -> list[str]:
    lines = screen.split("\n")
    return [lines[y][left : left + width].rstrip() for y in range(top, top + rows)]


def test_replay_matches_the_reviewers_terminal_step_by_step(workstation):  # noqa: F811
    tmp = workstation
    assert len(SCRIPT) >= 50
    term = Tmux(tmp, WIDTH, HEIGHT)
    captures: list[str] = []
    try:
        # its own network namespace (so the guard sees no change on this networked
        # host); not the host's, so the start is recorded only with --allow-network
        term.start("unshare --net " + review_command(tmp) + " --allow-network; sleep 30",
                   {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=60)
        term.keys("Enter")
        term.wait_for("RECORDING")
        # The start's alert, recorded before the first step. Its notice takes the
        # title line (row 0, tui/noticebar.py) for 10 s, not a toast over the code
        # as when this test waited it out: no comparison below reads row 0.
        term.wait_for("ALERTS 1")
        for keys in SCRIPT:
            send(term, keys)
            captures.append(stable(term))
            assert "Locked by the guard" not in captures[-1], captures[-1]  # our own opens
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        term.wait_for("INTACT", timeout=60)
    finally:
        term.close()

    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    trust = [load_public_key(tmp / "keys/vendor.pub", role=Role.VENDOR_ROOT).public_bytes_raw()]
    replay = Replay(read_timeline(ledger, trust), None)
    wanted = {}
    for shot in captures:
        seq = int(ENTRIES.findall(shot)[-1]) - 1
        wanted.setdefault(seq, shot)
    # the tree's root listing, recorded at start and on screen beside every capture
    root_seq = next(s.entry.seq for s in replay.steps if s.entry.kind == "tree_list")
    jumps = [*wanted, root_seq]
    shown = {}
    term = Tmux(tmp, REPLAY_WIDTH, HEIGHT)
    try:
        command = (f"{BIN}/cleanroom replay {ledger} --snapshot {tmp}/s.snapshot"
                   f" --trust {tmp}/keys/vendor.pub; sleep 30")  # fmt: skip
        # Replay is locked down like review: hostile TEXTUAL_* settings are scrubbed.
        hostile = {"TEXTUAL_SCREENSHOT": "1", "TEXTUAL_LOG": f"{tmp}/leak.log"}
        term.start(f"cd {tmp} && {command}", {"TERM": "xterm-256color", **hostile})
        term.wait_for("paused", timeout=60)
        for seq in jumps:
            term.keys("t")
            term.wait_for("Jump to #SEQ", 10)  # a fixed sleep lost keys under load
            term.type(f"#{seq}")
            term.keys("Enter")
            shown[seq] = stable(term, re.compile(rf"^ #{seq}  \d+/\d+  ", re.MULTILINE))
            assert "Jump to #SEQ" not in shown[seq], shown[seq]  # the dialog has closed
        term.keys("q")
    finally:
        term.close()

    assert not (tmp / "leak.log").exists() and not list(tmp.glob("*.svg"))
    compared = {"code": 0, "results": 0, "names": 0}
    for seq, theirs in wanted.items():
        step = replay.steps[replay.index_of_seq(seq)]
        screen = step.screen
        ours = shown[seq]
        vp = screen.visible
        if step.entry.kind == "quick_open_list":  # the names the box drew, as listed
            names = [clean(decode(path_from_fields(n))) for n in step.entry.payload["names"]]
            seen = [n for n in names if re.search(rf"(^|\s){re.escape(n)}(\s|$)", theirs, re.M)]
            assert len(seen) >= min(len(names), 5), (names, theirs)
            for name in seen:
                drawn = [
                    BORDER.sub("", line[viewer_left(ours) :]).strip() for line in ours.split("\n")
                ]
                assert name in drawn, (name, ours)
            compared["names"] += 1
        elif vp is not None:  # the banner row, then the viewport's rows
            gutter = len(str(screen.file.lines)) + 2
            rows = vp.last - vp.first + 1
            mine = region(ours, 1, rows + 1, viewer_left(ours), gutter + vp.cols)
            reviewer = region(theirs, 1, rows + 1, LEFT, gutter + vp.cols)
            assert mine == reviewer, f"entry {seq}:\n" + "\n".join(
                f"{a!r}\n{b!r}" for a, b in zip(mine, reviewer, strict=True) if a != b)  # fmt: skip
            compared["code"] += 1
        elif screen.searching and screen.result_rows is not None:
            found = map(SEARCH_ROW.search, theirs.split("\n")[4:])
            rows = [BORDER.sub("", m.group(1)) for m in found if m]
            compared["results"] += 1
            assert rows, theirs
            for row in rows:
                assert any(row[:60] in line for line in ours.split("\n")), f"{row}\n{ours}"
    # the tree's root names: the replay draws the labels the reviewer's tree drew
    lines = shown[root_seq].split("\n")
    assert "Tree: the snapshot's root listed" in lines[1], shown[root_seq]
    status = next(i for i, line in enumerate(lines) if STATUS.match(line))
    labels = [
        x for x in (line[viewer_left(shown[root_seq]) :].strip() for line in lines[2:status]) if x
    ]
    assert labels, shown[root_seq]
    trees = ["\n".join(line[:LEFT] for line in shot.split("\n")) for shot in captures]
    for label in labels:  # in the tree column (a dialog can cover part of it in one capture)
        assert any(label in tree for tree in trees), (label, trees[-1])
    compared["names"] += 1
    steps = len(captures)
    assert steps >= 50 and compared["code"] >= 30 and compared["results"] >= 2, compared
    assert compared["names"] >= 2, compared
    print(f"fidelity: {steps} steps, {len(wanted)} distinct entries, {compared}")
