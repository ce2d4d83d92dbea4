#!/usr/bin/env python3
"""What marking hits adds to a frame of the code view (issue 15).

    .venv/bin/python scripts/bench/hitmarks.py [--frames 300]
    .venv/bin/python scripts/bench/hitmarks.py --find FILE QUERY...  # find's cost
    .venv/bin/python scripts/bench/hitmarks.py --keys 60  # CPU of a key, all of it
    .venv/bin/python scripts/bench/hitmarks.py --split 40  # a key's frame vs its colours
    .venv/bin/python scripts/bench/hitmarks.py --compose 25  # a frame: gate, view, the rest

Builds a real session (ledger on disk, signed snapshot of a 5,000-line file),
opens the file at 120x40 under Pilot, then times `CodeView.render_lines` for the
whole screen, the paint of one frame without the gate (the viewport is already
recorded), in three states: no marks; two hits marked on every visible line
(the worst a search or find can mark); and the current hit's line and a `:N`
line only; each with lines the painter never drew (cold: a new screen) and
with lines it drew before (warm: a scroll by one line redraws the rest).
Prints the median and p95 wall and CPU time per frame. The gate's
recording is the same in every state, so it is left out.

With --keys N, presses pagedown (then down) N times each, with and without two
hits marked on every line, and prints the process CPU time of each key from the
press until the app is idle again: the recorded view, the frame, the colours
that come after it and the frame they redraw. CPU, not wall: on a loaded machine
it is what a key costs, whatever else runs. (`--profile FILE` writes a cProfile
of the marked keys.)

With --split N, pages down N times through a generated 20,000-line C file
(scripts/bench/tui.py's, most lines cut by the window), driving the code view
directly, and prints the thread CPU of each key's frame (recorded view, plain
lines, marks) apart from the colouring after it (`_prefetch`: lexing, and the
coloured lines drawn again): what colouring in the key's own frame would add
(ADR 0202). Minimum, quartile and median: the minimum moves least with load.

With --compose N, presses pagedown 3N times (three runs from the top), with and
without two hits marked on every line, alternating twice, and splits the thread
CPU of each key's screen frames (`Screen._on_timer_update`) into the gate (the
recorded view), `CodeView.render_lines` (marks included) and the rest: textual
compositing the screen (its line caches, filters, cutting and joining the rows of
every widget in the dirty region). Medians per key.

With --first N, pages down N times through the generated 20,000-line C file at
120x40, marked and not, alternating, with a 50 ms gap before each key, and splits
the thread CPU from the press to the key's first frame (the one that shows the new
viewport) into: the gate (the recorded view), the code view's own `render_line`s
(the painter's strips and, marked, `draw`), `draw` alone, Textual's pipeline around
those lines (`render_lines` minus the two: its styles cache, the padding to the
widget's width, the colour filter) and the rest (the key's dispatch, the scroll's
layout, the other widgets and compositing). Medians and p95 per part.

With --find, times `find_in` (what the recorder does for `ctrl+f`, before it
records `find`) on FILE for each QUERY, case-sensitive, 5 runs: median wall and
CPU, the lines that match and the file's size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cleanroom.tui.codeview import CodeView  # noqa: E402
from cleanroom.tui.hitmarks import Marks  # noqa: E402
from tests.ledgerkit import Kit  # noqa: E402
from tests.tuikit import make_app  # noqa: E402


def stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:.3f} ms, p95 {p95 * 1000:.3f} ms"


async def run(frames: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledgers = Path(tmp) / "ledgers"
        ledgers.mkdir()
        app, _ = make_app(Kit("bench"), ledgers)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            await pilot.pause()
            code = app.query_one(CodeView)
            await pilot.pause()
            vp = code.viewport()
            every = {line: [(0, 5), (9, 14)] for line in range(vp.first, vp.last + 1)}
            states = {
                "no marks": None,
                "2 hits on every line": Marks(b"src/long.py", every, vp.first + 3),
                "current + :N line only": Marks(b"src/long.py", {}, vp.first + 3, vp.first + 9),
            }
            region = code.region.reset_offset
            for cold in (True, False):
                print("lines never drawn before (cold)" if cold else "lines drawn before (warm)")
                for name, marks in states.items():
                    code.marks = marks
                    code.render_lines(region)  # the gate records this state's view once
                    walls, cpus = [], []
                    for _ in range(frames):
                        code._styles_cache.clear()  # textual's line cache: draw each line
                        if cold:
                            code._painter._strips.clear()
                        w, c = time.perf_counter(), time.thread_time()
                        code.render_lines(region)
                        walls.append(time.perf_counter() - w)
                        cpus.append(time.thread_time() - c)
                    print(f"  {name:>24}: wall {stats(walls)}; cpu {stats(cpus)}")


class EveryLine(dict):
    """Hit cells on every line: two hits, the 5 cells from column 4 and from 40."""

    def __contains__(self, line: object) -> bool:
        return True

    def get(self, line, default=None):  # type: ignore[no-untyped-def, override]
        return [(4, 9), (40, 45)]


async def key_cpu(keys: int, profile: str | None) -> None:
    """CPU time per key, from the press until the app is idle (colours included)."""
    with tempfile.TemporaryDirectory() as tmp:
        ledgers = Path(tmp) / "ledgers"
        ledgers.mkdir()
        app, _ = make_app(Kit("bench"), ledgers)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            code = app.query_one(CodeView)
            for _ in range(100):
                await pilot.pause(0.02)
                if code.viewport() is not None and code._shown is not None:
                    break
            for marked in (False, True, False, True):  # twice: what a longer ledger adds
                code.marks = Marks(b"src/long.py", EveryLine(), 1) if marked else None
                for key in ("pagedown", "down"):
                    await pilot.press("home")
                    await pilot.pause()
                    prof = None
                    if profile and marked and key == "pagedown":
                        import cProfile

                        prof = cProfile.Profile()
                        prof.enable()
                    cpus = []
                    for _ in range(keys):
                        c = time.process_time()
                        await pilot.press(key)
                        await pilot.pause()
                        cpus.append(time.process_time() - c)
                    if prof is not None:
                        prof.disable()
                        prof.dump_stats(profile)
                    name = f"{key}, {'2 hits on every line' if marked else 'no marks'}"
                    print(f"  {name:>32}: cpu {stats(cpus)}")


async def split_cpu(keys: int) -> None:
    """Thread CPU of a page turn's frame, and of the colouring after it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tui import EveryLine as EveryLineC
    from tui import code_lines

    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from cleanroom.session.snapshot_source import SnapshotSource
    from cleanroom.snapshot.create import create_snapshot
    from cleanroom.tui.app import ReviewApp

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        (src / "drivers").mkdir(parents=True)
        (src / "drivers/huge.c").write_text("\n".join(code_lines(20000, 1)) + "\n")
        kit = Kit("bench")
        snapshot = Path(tmp) / "s.snapshot"
        create_snapshot(src, snapshot, kit.vendor, name="s", version="1", created=1)
        ledgers = Path(tmp) / "ledgers"
        ledgers.mkdir()
        ledger = kit.new_ledger(ledgers)
        facts = Facts("Ada", "Bench", "ws-01", "s 1", str(ledger.path))
        source = SnapshotSource.from_file(snapshot, kit.trust)
        app = ReviewApp(ReviewSession(Recorder(ledger), source, facts))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            app.open_path(b"drivers/huge.c")
            code = app.query_one(CodeView)
            for _ in range(200):
                await pilot.pause(0.02)
                if code._shown is not None:
                    break
            region = code.region.reset_offset
            for marked in (False, True):
                path = code.document.raw_path
                code.marks = Marks(path, EveryLineC(), current=300) if marked else None
                frames, colours = [], []
                for _ in range(keys):
                    y = int(code.scroll_offset.y) + code.size.height - 3
                    code.scroll_to(y=y, animate=False, immediate=True, force=True)
                    viewport = code.viewport()
                    c = time.thread_time()
                    code.render_lines(region)  # the key's frame: recorded, then drawn
                    frames.append(time.thread_time() - c)
                    c = time.thread_time()
                    code._prefetch(viewport)  # the colouring, and the lines it changed
                    code.render_lines(region)
                    colours.append(time.thread_time() - c)
                name = "2 hits on every line" if marked else "no marks"
                for what, v in (("key's frame", frames), ("colouring after", colours)):
                    v.sort()
                    print(f"  {name:>20}, {what:>15}: cpu min {v[0] * 1000:.2f} ms, "
                          f"p25 {v[len(v) // 4] * 1000:.2f} ms, "
                          f"median {statistics.median(v) * 1000:.2f} ms")  # fmt: skip


async def compose_cpu(keys: int) -> None:
    """Thread CPU of a page turn's screen frames: gate, code view, the rest."""
    from textual.screen import Screen

    acc: dict[str, float] = {}

    def clocked(fn, key: str):  # type: ignore[no-untyped-def]
        def run(*a, **kw):  # type: ignore[no-untyped-def]
            c = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                acc[key] = acc.get(key, 0.0) + time.thread_time() - c

        return run

    real_frame, real_lines = Screen._on_timer_update, CodeView.render_lines
    Screen._on_timer_update = clocked(real_frame, "frame")  # type: ignore[method-assign]
    CodeView.render_lines = clocked(real_lines, "view")  # type: ignore[method-assign]
    try:
        for marked in (True, False, True, False):
            with tempfile.TemporaryDirectory() as tmp:
                ledgers = Path(tmp) / "ledgers"
                ledgers.mkdir()
                app, _ = make_app(Kit("bench"), ledgers)
                async with app.run_test(size=(120, 40)) as pilot:
                    await pilot.press("enter")
                    app.open_path(b"src/long.py")
                    code = app.query_one(CodeView)
                    for _ in range(100):
                        await pilot.pause(0.02)
                        if code.viewport() is not None and code._shown is not None:
                            break
                    code._gate = clocked(code._gate, "gate")
                    code.marks = Marks(b"src/long.py", EveryLine(), 1) if marked else None
                    rows = []
                    for _ in range(3):
                        await pilot.press("home")
                        await pilot.pause()
                        for _ in range(keys):
                            acc.clear()
                            await pilot.press("pagedown")
                            await pilot.pause()
                            frame, view, gate = acc["frame"], acc["view"], acc.get("gate", 0.0)
                            rows.append((frame, gate, view - gate, frame - view))
            parts = ("frame", "gate", "code view", "the rest")
            name = "2 hits on every line" if marked else "no marks"
            text = ", ".join(f"{p} {statistics.median(r[i] for r in rows) * 1000:.2f}"
                             for i, p in enumerate(parts))  # fmt: skip
            print(f"  {name:>20}: {text} ms")
    finally:
        Screen._on_timer_update = real_frame  # type: ignore[method-assign]
        CodeView.render_lines = real_lines  # type: ignore[method-assign]


async def first_frame_cpu(keys: int) -> None:
    """Thread CPU from a pagedown to its first painted frame, split (see --first)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tui import EveryLine as EveryLineC
    from tui import code_lines

    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from cleanroom.session.snapshot_source import SnapshotSource
    from cleanroom.snapshot.create import create_snapshot
    from cleanroom.tui import codeview as codeview_mod
    from cleanroom.tui.app import ReviewApp

    acc: dict[str, float] = {}
    on = [False]

    def clocked(fn, key: str):  # type: ignore[no-untyped-def]
        def run(*a, **kw):  # type: ignore[no-untyped-def]
            if not on[0]:
                return fn(*a, **kw)
            c = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                acc[key] = acc.get(key, 0.0) + time.thread_time() - c

        return run

    real = (CodeView.render_lines, CodeView.render_line, codeview_mod.draw)
    CodeView.render_lines = clocked(real[0], "render_lines")  # type: ignore[method-assign]
    CodeView.render_line = clocked(real[1], "render_line")  # type: ignore[method-assign]
    codeview_mod.draw = clocked(real[2], "draw")  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "src"
            (src / "drivers").mkdir(parents=True)
            (src / "drivers/huge.c").write_text("\n".join(code_lines(20000, 1)) + "\n")
            kit = Kit("bench")
            snapshot = Path(tmp) / "s.snapshot"
            create_snapshot(src, snapshot, kit.vendor, name="s", version="1", created=1)
            ledgers = Path(tmp) / "ledgers"
            ledgers.mkdir()
            ledger = kit.new_ledger(ledgers)
            facts = Facts("Ada", "Bench", "ws-01", "s 1", str(ledger.path))
            source = SnapshotSource.from_file(snapshot, kit.trust)
            app = ReviewApp(ReviewSession(Recorder(ledger), source, facts))
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("enter")
                app.open_path(b"drivers/huge.c")
                code = app.query_one(CodeView)
                for _ in range(200):
                    await pilot.pause(0.02)
                    if code._shown is not None:
                        break
                code._gate = clocked(code._gate, "gate")  # type: ignore[method-assign]
                first: dict[str, float] = {}
                real_display = app._display

                def display(screen, renderable):  # type: ignore[no-untyped-def]
                    real_display(screen, renderable)
                    if on[0] and not first and "gate" in acc:
                        first.update(acc, paint=time.thread_time() - started[0])

                app._display = display  # type: ignore[method-assign]
                started = [0.0]
                rows: dict[bool, list[dict[str, float]]] = {True: [], False: []}
                for _ in range(keys):
                    for marked in (True, False):
                        path = code.document.raw_path
                        code.marks = Marks(path, EveryLineC(), current=300) if marked else None
                        await pilot.pause()
                        await asyncio.sleep(0.05)
                        acc.clear()
                        first.clear()
                        on[0], started[0] = True, time.thread_time()
                        await pilot.press("pagedown")
                        await pilot.pause()
                        on[0] = False
                        if first:
                            rows[marked].append(dict(first))
                for marked in (True, False):
                    parts = {
                        "key to paint": [r["paint"] for r in rows[marked]],
                        "gate": [r["gate"] for r in rows[marked]],
                        "view's lines": [r.get("render_line", 0.0) for r in rows[marked]],
                        "of which draw": [r.get("draw", 0.0) for r in rows[marked]],
                        "textual around them": [
                            r["render_lines"] - r["gate"] - r.get("render_line", 0.0)
                            for r in rows[marked]
                        ],
                        "the rest": [r["paint"] - r["render_lines"] for r in rows[marked]],
                    }
                    name = "2 hits on every line" if marked else "no marks"
                    print(f"  {name} ({len(rows[marked])} keys):")
                    for part, v in parts.items():
                        v.sort()
                        p95 = v[max(0, int(len(v) * 0.95) - 1)]
                        print(f"    {part:>20}: median {statistics.median(v) * 1000:6.2f} ms,"
                              f" p95 {p95 * 1000:6.2f} ms")  # fmt: skip
    finally:
        CodeView.render_lines, CodeView.render_line = real[0], real[1]  # type: ignore[method-assign]
        codeview_mod.draw = real[2]  # type: ignore[assignment]


def find_cost(path: Path, queries: list[str]) -> None:
    from cleanroom.session.document import BytesDocument
    from cleanroom.session.find_in_file import find_in

    data = path.read_bytes()
    doc = BytesDocument(data, b"bench")
    print(f"{path}: {len(data) / 1e6:.1f} MB, {doc.line_count:,} lines")
    for query in queries:
        walls, cpus = [], []
        for _ in range(5):
            w, c = time.perf_counter(), time.process_time()
            hits = find_in(doc, query, True)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        wall, cpu = statistics.median(walls) * 1000, statistics.median(cpus) * 1000
        print(f"  {query!r}: {hits.total:,} lines; wall median {wall:.0f} ms, cpu {cpu:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--find", nargs="+", metavar=("FILE", "QUERY"))
    parser.add_argument("--keys", type=int, help="CPU per key over N presses of each key")
    parser.add_argument("--profile", help="with --keys: cProfile of the marked pagedowns")
    parser.add_argument("--split", type=int, help="a page turn's frame and colouring, N keys")
    parser.add_argument("--compose", type=int, help="a frame's gate, view and the rest, N keys")
    parser.add_argument("--first", type=int, help="a pagedown to its first frame, split, N keys")
    args = parser.parse_args()
    if args.first:
        print(f"thread CPU, pagedown to its first painted frame, 120x40 ({args.first} keys"
              f" each, alternating, load {os.getloadavg()[0]:.1f})")  # fmt: skip
        asyncio.run(first_frame_cpu(args.first))
        return
    if args.compose:
        print(f"thread CPU of a page turn's screen frames, 120x40, medians ({3 * args.compose}"
              f" keys, load {os.getloadavg()[0]:.1f})")  # fmt: skip
        asyncio.run(compose_cpu(args.compose))
        return
    if args.split:
        print(f"thread CPU per page turn, 120x40 ({args.split} keys, load "
              f"{os.getloadavg()[0]:.1f})")  # fmt: skip
        asyncio.run(split_cpu(args.split))
        return
    if args.keys:
        print(
            f"process CPU per key, press to idle ({args.keys} presses, load "
            f"{os.getloadavg()[0]:.1f})"
        )
        asyncio.run(key_cpu(args.keys, args.profile))
        return
    if args.find:
        find_cost(Path(args.find[0]), args.find[1:])
        return
    asyncio.run(run(args.frames))


if __name__ == "__main__":
    main()
