"""The reviewer terminal in a real terminal (tmux), against issue 12's crashes:
every file of the demo sample, the empty one included, opened and paged through;
and a crash, injected by a test harness, shows the fixed message and no
traceback, locals or source, and the ledger still verifies."""

import os
import sys
import time
from pathlib import Path

import pytest

from cleanroom.tui.crash import FIXED
from tests.test_e2e_tmux import BIN, review_command, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux

# A test harness, not a production switch: it patches the code view of this one
# process after the launch's own preparation, and then runs `cleanroom review`.
CRASHING = r"""
import sys
import cleanroom.tui.launch as launch
from cleanroom.cli import main

real_prepare = launch.prepare

def prepare(writable):
    removed = real_prepare(writable)
    from cleanroom.tui.codeview import CodeView
    real_render = CodeView.render_line

    def render_line(self, y):
        strip = real_render(self, y)
        source_line = "".join(s.text for s in strip)
        if "import" in source_line:
            raise RuntimeError("injected: " + source_line)
        return strip

    CodeView.render_line = render_line
    return removed

launch.prepare = prepare
sys.argv = ["cleanroom", *sys.argv[1:]]
main()
"""


def sample_files(src: Path) -> list[str]:
    found = []
    for root, _, files in os.walk(src):
        found += [os.path.relpath(os.path.join(root, f), src) for f in files]
    return sorted(found)


def wait_for_banner(term: Tmux, name: str, timeout: float = 60.0) -> str:
    """The screen once `name` is open: its banner, or the notice that its name is
    hidden. One deadline from the Enter; a large file on a loaded machine can take
    seconds to lex and draw (two waits of 10 s each failed under load)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = term.screen()
        if f" {name}  (" in shown or f" {name}: hidden or control" in shown:
            return shown
        term.pause()
    raise AssertionError(f"{name} did not open within {timeout}s; screen:\n{term.screen()}")


SHARDS = 4


def box_listed(term: Tmux, timeout: float = 30.0) -> None:
    """Wait until the quick-open box shows its count line under its input (it lists
    every path, recorded, before it takes keys: a name typed earlier was lost once
    under load). Looked for below the box's prompt, not anywhere: the code on
    screen may say "matches" too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = term.screen().splitlines()
        at = next((i for i, row in enumerate(rows) if "Type part of a path" in row), None)
        if at is not None and any("match" in row for row in rows[at + 1 : at + 4]):
            return
        term.pause()
    raise AssertionError(f"the quick-open box never listed; screen:\n{term.screen()}")


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_file_of_the_demo_sample_opens_and_pages(workstation, shard):  # noqa: F811
    """Issue 12's done-when: every file of the demo sample, the empty ones too, opens
    and pages in a real terminal. In four sessions of every fourth file, so the ~220
    files (Cleanroom's own source: it grows) are not one five-minute test that holds
    up the end of the suite (tests/longfirst.py starts them early)."""
    tmp = workstation
    every = sample_files(tmp / "src")
    assert (
        "cleanroom/ledger/__init__.py" in every
        and (tmp / "src/cleanroom/ledger/__init__.py").stat().st_size == 0
    )
    files = every[shard::SHARDS]
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
            term.press_until("C-p", "Type part of a path", timeout=30)
            box_listed(term)
            term.type(name)
            term.wait_for(name, 30)  # the box holds the whole name before Enter picks
            term.keys("Enter")
            wait_for_banner(term, name)
            term.keys("PageDown", "PageDown", "End", "PageUp", "Home")  # one tmux call
            assert not term.dead(), f"the terminal died on {name}"
            assert "RECORDING" in term.wait_for("RECORDING", timeout=10)
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60)
    finally:
        term.close()
    assert "EXIT=0" in done and "INTACT" in done, done
    assert "Traceback" not in done


def test_a_crash_in_a_real_terminal_shows_the_fixed_message(workstation):  # noqa: F811
    tmp = workstation
    harness = tmp / "crashing.py"
    harness.write_text(CRASHING)
    args = review_command(tmp).replace(
        f"{BIN}/cleanroom review --in-process", f"{sys.executable} -I {harness} review --in-process"
    )
    term = Tmux(tmp)
    try:
        term.start(f"{args} --allow-network; echo EXIT=$?; sleep 30", {"TERM": "xterm-256color"})
        term.wait_for("paper log", timeout=60)
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.keys("C-p")
        term.wait_for("Type part of a path")
        term.type("tui/app.py")
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60)
    finally:
        term.close()
    assert FIXED in done
    assert "Traceback" not in done and "source_line" not in done and "injected" not in done
    assert "import" not in done  # no line of the file
    assert "FINAL witness code" in done and "INTACT" in done, done
    (crash,) = (tmp / "ledgers" / "crashes").iterdir()
    assert oct(crash.stat().st_mode & 0o777) == "0o600"
    assert b"injected: " in crash.read_bytes()
