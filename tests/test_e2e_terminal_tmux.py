"""The terminal the reviewer process runs in, in a real terminal (tmux): stdin,
stdout or stderr that is not a terminal is refused before anything is recorded,
and a resize (one, or a storm) is painted at the new size, every row, with the
viewport recorded first (docs/threat-model.md)."""

import random
import re
import time

import pytest

from tests.ledgerkit import body_of, read_rows
from tests.test_e2e_signals_tmux import open_a_file
from tests.test_e2e_tmux import review_command, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux

LINE_NO = re.compile(r"│ *(\d+)(?=  |$)", re.M)  # a blank line ends at its number


@pytest.mark.parametrize(
    ("redirect", "named"),
    [("echo y | {cmd}", "stdin is not"), ("{cmd} > {tmp}/out.txt", "stdout is not"),
     ("{cmd} 2> {tmp}/err.txt", "stderr is not"),
     ("{cmd} < /dev/null > /dev/null", "stdin and stdout are not")],
)  # fmt: skip
def test_a_review_without_a_terminal_is_refused_before_anything_is_recorded(
    workstation,  # noqa: F811
    redirect,
    named,
):
    tmp = workstation
    term = Tmux(tmp)
    cmd = redirect.format(cmd=review_command(tmp) + " --allow-network", tmp=tmp)
    try:
        term.start(f"{cmd}; echo EXIT=$?; sleep 30", {"TERM": "xterm-256color"})
        done = term.wait_for("EXIT=", timeout=60)
    finally:
        term.close()
    said = done + "".join(p.read_text() for p in tmp.glob("*.txt"))
    flat = "".join(said.split())  # the pane wraps words anywhere
    assert "EXIT=2" in done and named.replace(" ", "") in flat, said
    assert "nothingwasrecorded" in flat and "Traceback" not in said, said
    assert not list((tmp / "ledgers").glob("*.ledger"))


def resize(term: Tmux, width: int, height: int) -> None:
    term._tmux("resize-window", "-t", term.name, "-x", str(width), "-y", str(height))


def painted_at(term: Tmux, width: int, height: int) -> str:
    """Wait until the whole screen is painted at width x height: the title on the
    first row, the status bar on the row before the last, on a settled screen (a
    capture can fall between the rows of one frame: its top rows new, the rest
    still the frame before, which once read as line 553 shown twice)."""
    deadline = time.monotonic() + 20
    rows: list[str] = []
    while time.monotonic() < deadline:
        rows = term.settle(timeout=max(1.0, deadline - time.monotonic())).split("\n")[:height]
        status, footer = rows[-2:] if len(rows) == height else ("", "")
        covered = any("Alert:" in row for row in rows)  # a toast over the code, for now
        if (
            rows[0].startswith(" Cleanroom")
            and "RECORDING" in status
            and "Open file" in footer
            and not covered
        ):
            return "\n".join(rows)
        term.pause(0.2)
    raise AssertionError(f"not painted at {width}x{height}:\n" + "\n".join(rows))


def line_numbers(screen: str) -> tuple[int, int]:
    """The first and last line numbers on screen, checked contiguous."""
    shown = [int(n) for n in LINE_NO.findall(screen)]
    assert shown and shown == list(range(shown[0], shown[0] + len(shown))), screen
    return shown[0], shown[-1]


def test_a_resize_is_painted_at_the_new_size_and_recorded_first(workstation):  # noqa: F811
    """Tmux gives the program COLUMNS and LINES of its first size, as shells
    that export them do: the app must follow the terminal, not those. (The
    ledger is read only after the session: reading it during one is an alert.)"""
    tmp = workstation
    term = Tmux(tmp)
    rnd = random.Random(12)
    shown = []
    try:
        open_a_file(tmp, term)
        for width, height in ((160, 50), (70, 14)):
            resize(term, width, height)
            shown.append(line_numbers(painted_at(term, width, height)))
        for i in range(40):  # a storm, with keys among it
            resize(term, rnd.randint(20, 200), rnd.randint(5, 60))
            if i % 5 == 0:
                term.keys(rnd.choice(["PageDown", "PageUp", "Down", "End", "Home"]))
            time.sleep(0.03)
        resize(term, 100, 30)
        screen = painted_at(term, 100, 30)
        shown.append(line_numbers(screen))
        time.sleep(1)  # nothing of an earlier paint may come after (a toast may)
        assert line_numbers(painted_at(term, 100, 30)) == shown[-1]
    finally:
        term.close()
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    bodies = [body_of(ledger, row[0]) for row in read_rows(ledger)]
    views = [(b.payload["first"], b.payload["last"]) for b in bodies if b.kind == "view"]
    assert shown[0] in views and shown[1] in views and views[-1] == shown[2], (views, shown)
    assert shown[0][1] - shown[0][0] > 40 and shown[1][1] - shown[1][0] < 12  # the new sizes
