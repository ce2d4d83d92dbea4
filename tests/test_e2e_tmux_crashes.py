"""The reviewer terminal in a real terminal (tmux), against issue 12's crashes: a
crash, injected by a test harness, shows the fixed message and no traceback,
locals or source, and the ledger still verifies. The kinds of file that crashed
it (the empty one first) and the boring shapes the demo sample lacks are defined
here; tests/test_tui_demo_walk.py opens and pages every one of them, and every
other file of the sample, in a real terminal."""

import os
import sys
import time
from pathlib import Path

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
