"""Moving around in a real terminal (tmux), end to end (issue 15, "each feature has
at least one tmux end-to-end path"): the less/vim keys (`G`, `g`, `j`, `}`, `{`:
the next / previous empty line, found by the session and recorded as a `goto`
before the code moves), a mark set
with `m a` and jumped to with `' a`, back and forward (`alt+←`, `alt+→`), and the
tree hidden, shown and revealed (`t`, `R`), at 80x24. Each move is waited for on the
screen, by the line number at the top of the code view; the ledger has the mark and
the jumps, and verifies."""

import re

from tests.ledgerkit import bodies_of
from tests.test_e2e_signals_tmux import open_a_file
from tests.test_e2e_tmux import end_clean, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux

GUTTER = re.compile(r"^(?:.*│)?\s*(\d+)(?:[ !]|$)")  # a code row: (the tree, its edge) the number


def top_line(screen: str) -> int | None:
    """The number of the first line the code view shows (rows 0-1: notices, title)."""
    for row in screen.split("\n")[2:]:
        found = GUTTER.match(row)
        if found:
            return int(found.group(1))
    return None


def at_top(term: Tmux, line: int) -> str:
    return term.wait_until(lambda s: top_line(s) == line, f"line {line} at the top")


def paragraph_edges(lines: list[bytes]) -> list[int]:
    """The empty lines (1-based) that end a paragraph: each after a line with text."""
    return [i + 1 for i, line in enumerate(lines) if line == b"" and i and lines[i - 1] != b""]


def test_marks_history_vim_keys_and_the_tree_in_a_real_terminal(workstation):  # noqa: F811
    tmp = workstation
    lines = (tmp / "src/cleanroom/tui/app.py").read_bytes().split(b"\n")
    count = len(lines)
    e1, e2 = paragraph_edges(lines)[:2]  # the first two (the docstring ends; an import)
    term = Tmux(tmp, 80, 24)
    try:
        open_a_file(tmp, term)
        at_top(term, 1)
        term.keys("j")
        at_top(term, 2)
        term.keys("G")
        bottom = term.wait_until(lambda s: (top_line(s) or 0) > count - 30, "the end")
        assert (top_line(bottom) or 0) > 1
        term.keys("g")
        at_top(term, 1)
        term.type("}")  # `}` and `{` through tmux as typed (send-keys -l)
        at_top(term, e1)
        term.type("}")
        at_top(term, e2)
        term.type("{")
        at_top(term, e1)
        term.keys("g")
        at_top(term, 1)
        term.press_until("m", "Set a mark")
        term.keys("a")  # mark a: line 1
        term.wait_until(lambda s: "Set a mark" not in s, "the mark set")
        term.press_until(":", "Go to line (1-")
        term.type("200")
        term.keys("Enter")
        at_top(term, 200)
        term.press_until("'", "Marks")
        term.keys("a")
        at_top(term, 1)
        term.keys("M-Left")  # back to where the mark was jumped from
        at_top(term, 200)
        term.keys("M-Right")
        at_top(term, 1)
        term.keys("t")  # the tree hidden: the code view starts at the left edge
        term.wait_until(lambda s: "│" not in s.split("\n")[3], "the tree hidden")
        term.keys("t")
        term.wait_until(lambda s: "│" in s.split("\n")[3], "the tree shown")
        term.keys("R")  # the open file revealed: its directory listed in the tree
        term.wait_for("app.py")
        ledger = end_clean(term, tmp)
    finally:
        term.close()
    bodies = bodies_of(ledger)
    kinds = [b.kind for b in bodies]
    assert kinds.count("mark") >= 1
    gotos = [b.payload["line"] for b in bodies if b.kind == "goto"]
    assert gotos[:3] == [e1, e2, e1]  # `}`, `}`, `{`: each move recorded
    assert 200 in gotos and gotos.count(1) >= 2  # ' a, and forward to it again
    widths = {b.payload["cols"] for b in bodies if b.kind == "view"}
    assert len(widths) >= 2  # the tree hidden: a wider view, recorded
