"""The reviewer terminal in a real terminal (tmux), against issue 12's crashes:
one file of each kind in the demo sample (the empty one included, and boring
shapes it lacks) opened and paged through, each page drawn (every file of the
sample is opened and paged by the real app under Pilot: test_tui_demo_walk.py);
and a crash, injected by a test harness, shows the fixed message and no
traceback, locals or source, and the ledger still verifies."""

import os
import re
import sys
import time
from pathlib import Path

from cleanroom.ledger.encoding import decode_body
from cleanroom.snapshot.create import create_snapshot
from cleanroom.tui.crash import FIXED
from tests.ledgerkit import read_rows, seeded_key
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


ENTRIES = re.compile(r"entries (\d+)")


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


EMPTY = "cleanroom/ledger/__init__.py"  # the empty file that crashed the terminal
# Shapes the demo sample lacks, added to this test's copy of it (and snapshot).
BORING = {
    "boring/one_byte.txt": b"x",
    "boring/no_final_newline.py": b"a = 1\nb = 2",
    "boring/newline.txt": b"\n",
    "boring/crlf.txt": b"a = 1\r\nb = 2\r\n",
    "boring/nul.bin": b"\x00",
}
BIDI = tuple(chr(c).encode() for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
ROWS = 31  # code rows in a 120x36 terminal: a longer file can be paged


def one_of_each_kind(src: Path) -> dict[str, str]:
    """kind -> the first file of that kind in the sample at `src` (sorted names). Every
    kind must be there: a sample that lost one fails here, not silently."""
    data = {name: (src / name).read_bytes() for name in sample_files(src)}

    def utf8(b: bytes) -> bool:
        try:
            b.decode()
        except UnicodeDecodeError:
            return False
        return True

    def longest(b: bytes) -> int:
        return max(len(line) for line in b.split(b"\n"))

    kinds = {
        "empty": [n for n, b in data.items() if not b],
        "one byte": [n for n, b in data.items() if len(b) == 1],
        "only a newline": [n for n, b in data.items() if b == b"\n"],
        "no final newline": [n for n, b in data.items() if b and not b.endswith(b"\n")],
        "CRLF": [n for n, b in data.items() if b"\r\n" in b],
        "NUL": [n for n, b in data.items() if b"\0" in b],
        "not UTF-8": [n for n, b in data.items() if not utf8(b)],
        "escape sequences": [n for n, b in data.items() if b"\x1b" in b],
        "bidi controls": [n for n, b in data.items() if any(c in b for c in BIDI)],
        "other non-ASCII": [
            n
            for n, b in data.items()
            if utf8(b) and max(b, default=0) > 127 and not any(c in b for c in BIDI)
        ],  # fmt: skip
        "largest": [max(data, key=lambda n: len(data[n]))],
        "most lines": [max(data, key=lambda n: data[n].count(b"\n"))],
        "longest line": [max(data, key=lambda n: longest(data[n]))],
        "smallest Python": [
            min((n for n in data if n.endswith(".py") and data[n]), key=lambda n: len(data[n]))
        ],  # fmt: skip
    }
    for suffix in sorted({Path(n).suffix for n in data}):
        kinds[f"suffix {suffix or '(none)'}"] = [n for n in data if Path(n).suffix == suffix]
    missing = [kind for kind, names in kinds.items() if not names]
    assert missing == [], f"the sample has no file of these kinds: {missing}"
    return {kind: names[0] for kind, names in kinds.items()}


def entries(screen: str) -> int:
    """The status bar's entry count: a view is recorded (and counted) as it is drawn."""
    return int(ENTRIES.findall(screen)[-1])


def page(term: Tmux, key: str, timeout: float = 30.0) -> None:
    """Press `key` alone and wait until something is recorded after it (the count
    grows: the view it moved to, or an alert) and the program is idle (term.settle),
    so the key's page was drawn before the next key: keys sent in one call reach the
    app in one read and coalesce into one frame. (The count alone was not enough:
    the status bar is updated after the paint, so a count read before it caught up
    with PageDown's view took PageDown's increment for End's, and End coalesced
    with PageUp: the ledger held no End view.)"""
    before = entries(term.wait_for("entries"))
    term.keys(key)
    deadline = time.monotonic() + timeout
    while entries(term.screen()) <= before:
        assert time.monotonic() < deadline, f"{key} drew no new view:\n{term.screen()}"
        term.pause()
    term.settle()


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


def test_one_file_of_each_kind_opens_and_pages_in_a_real_terminal(workstation):  # noqa: F811
    """Issue 12: an empty file crashed the terminal under tmux though Pilot tests
    passed. One file of each kind (boring shapes, hostile bytes, the largest...)
    opened with quick open and paged to its end and back in a real terminal, each
    page drawn and recorded before the next key; the ledger verifies INTACT and
    holds those views. Every file of the sample: tests/test_tui_demo_walk.py."""
    tmp = workstation
    for name, data in BORING.items():
        (tmp / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "src" / name).write_bytes(data)
    (tmp / "s.snapshot").unlink()
    create_snapshot(tmp / "src", tmp / "s.snapshot", seeded_key("e2e/vendor"), name="e2e",
                    version="1")  # fmt: skip
    kinds = one_of_each_kind(tmp / "src")
    assert kinds["empty"] == EMPTY
    files = list(dict.fromkeys(kinds.values()))
    lines = {n: (tmp / "src" / n).read_bytes().count(b"\n") for n in files}
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
            if lines[name] > ROWS:
                for key in ("PageDown", "End", "PageUp", "Home"):
                    page(term, key)
            else:  # nothing to page to: the keys must still do no harm
                term.keys("PageDown", "End", "PageUp", "Home")
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
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    got = [decode_body(b) for _, b, _ in read_rows(ledger)]
    assert [e.payload["path"] for e in got if e.kind == "file_open"] == files
    for name in files:
        views = [(e.payload["first"], e.payload["last"]) for e in got
                 if e.kind == "view" and e.payload["path"] == name]  # fmt: skip
        assert views, name
        if lines[name] > ROWS:  # End's page drawn, then Home's
            ends = [i for i, (_, last) in enumerate(views) if last >= lines[name]]
            assert ends and any(first == 1 for first, _ in views[ends[0] :]), (name, views)


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
