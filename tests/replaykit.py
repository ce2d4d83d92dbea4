"""A review session recorded through the real app (Pilot), for replay tests: after
each scripted step it keeps what the reviewer's code view drew, keyed by the
number of entries in the ledger at that moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.style import Style

from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.ledgerkit import Kit
from tests.tuikit import sample_source

SIZE = (120, 36)


@dataclass
class Recorded:
    ledger: Path
    snapshot: Path
    source: SnapshotSource
    shown: dict[int, list[str]] = field(default_factory=dict)  # entries → code lines drawn
    styles: dict[int, list[list[Style]]] = field(default_factory=dict)  # and each char's style


def code_styles(code: CodeView) -> list[list[Style]]:
    return [
        [seg.style for seg in code.render_line(y) for _ in seg.text]
        for y in range(code.scrollable_content_region.height)
    ]


def code_lines(code: CodeView) -> list[str]:
    return [
        "".join(seg.text for seg in code.render_line(y))
        for y in range(code.scrollable_content_region.height)
    ]


async def record(kit: Kit, workdir: Path, steps: list[tuple[str, ...]],
                 source: SnapshotSource | None = None, snapshot: str = "sample.snapshot",
                 size: tuple[int, int] = SIZE) -> Recorded:  # fmt: skip
    source = source if source is not None else sample_source(kit, workdir)
    ledgers = workdir / "ledgers"
    ledgers.mkdir(exist_ok=True)
    ledger = kit.new_ledger(ledgers, snapshot=source.ref)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
    session = ReviewSession(Recorder(ledger), source, facts)
    app = ReviewApp(session, countersigner=kit.reviewer)
    out = Recorded(ledger.path, workdir / snapshot, source)
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")
        for keys in steps:
            await pilot.press(*keys)
            for _ in range(3):
                await pilot.pause()
            if keys[0] == "s":  # the search runs in a worker thread
                state = app.screen.query_one("#state")
                for _ in range(60):
                    await pilot.pause(0.05)
                    if "results" in str(state.render()):
                        break
                await pilot.pause()
            if app.screen is app.screen_stack[0]:  # the code view is in front
                out.shown[session.entries] = code_lines(app.query_one(CodeView))
                out.styles[session.entries] = code_styles(app.query_one(CodeView))
        await pilot.press("q", "y")
        await pilot.pause()
    return out
