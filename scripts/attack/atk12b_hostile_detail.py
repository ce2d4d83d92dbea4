"""atk12b: hostile alert details on the guard lock screen (in-process, real guard
queue, real ledger, Pilot): escape sequences (OSC 52 clipboard, clear screen, title),
bidi overrides, zero-width characters, a C1 CSI, 1 MB of text (cut by the queue),
Rich markup. Prints what the terminal would be sent and whether anything raw got
through. Run: .venv/bin/python scripts/attack/atk12b_hostile_detail.py"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, ".")
from cleanroom.guard.policy import Category  # noqa: E402
from tests.ledgerkit import Kit  # noqa: E402
from tests.test_tui_guard import guarded_app, wait_for  # noqa: E402
from tests.test_tui_lock_stack_neighbours import begin, entries, told  # noqa: E402

HOSTILE = [
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b[2J\x1b[H",
    "\x1b]0;title\x07",
    "\u202eevil\u202c",
    "\u2066iso\u2069",
    "zero\u200bwidth",
    "\x9b31m",
    "[bold red]markup[/]",
    "x" * 1_000_000,
]
RAW = ["\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u200b"]


def painted(app) -> str:
    update = app.screen._compositor.render_update(full=True)
    return "\n".join("".join(seg.text for seg in strip) for strip in update.strips)


async def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "ledgers").mkdir()
    app, _, ledger = guarded_app(Kit(), tmp / "ledgers")
    queue = app.session.guard.queue
    async with app.run_test(size=(100, 40)) as pilot:
        await begin(pilot)
        for i, detail in enumerate(HOSTILE):
            queue.put(Category.KEYS_ACCESS, f"keys /k{i}", "opened", "/k/" + detail[:300], detail)
        assert await wait_for(pilot, lambda: told(app, "keys_access"), 20)
        await pilot.pause()
        screen = painted(app)
        print(screen)
        print("raw through:", [repr(c) for c in RAW if c in screen] or "none")
        await pilot.press("enter")
        await pilot.pause()
        print("front after Enter:", type(app.screen).__name__)
        app.session.guard.stop()
    for b in entries(ledger):
        if b.kind in ("alert", "unlock"):
            print(b.seq, b.kind, len(str(b.payload)), b.payload.get("alerts"))


if __name__ == "__main__":
    asyncio.run(main())
