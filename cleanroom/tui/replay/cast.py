"""Export a replay as an asciicast v2 file (https://docs.asciinema.org/manual/asciicast/v2/):
one frame per entry, at the time it happened, each frame drawn from the same
`Stage` the replay app shows, with the reviewer's painter.

A frame is: a line naming the entry, the banner, then the viewport (or result
rows, or the file names listed, or the reason nothing was shown). Every piece
of text in it went through the one sanitizer, so the file holds no escape
sequence but the SGR colours and the clear-screen this module writes itself.
Long pauses stay exact in the file; `idle_time_limit` asks players to shorten
them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import IO, Any

from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.strip import Strip

from ...forensics.replay import Replay
from ...session.wrap import replayed_rows
from ..painter import Painter
from ..wrapped import replayed_bodies, wrapped_strip
from .stage import Stage, stage_of, step_line

GUTTER = Style(color="bright_black")
FLAG = Style(color="red", bold=True)
HEADER = Style(reverse=True, bold=True)
ALARM = Style(color="white", bgcolor="red", bold=True)
CLEAR = "\x1b[H\x1b[2J"
IDLE_TIME_LIMIT = 2.0
TRUECOLOR = ColorSystem.TRUECOLOR
LINE_CACHE = 100_000
LineCache = dict[tuple[str, int, int, int], str]  # (blob, line, col, cols) → drawn line


def write_cast(replay: Replay, out: IO[str], title: str,
               progress: Callable[[], None] | None = None, start: int = 0,
               mark: str | None = None) -> None:  # fmt: skip
    """Frames from step `start` on; `mark` (a ledger not INTACT, searches that
    differ) opens every frame's first line, so no excerpt of the file loses it."""
    width, height = frame_size(replay)
    console = Console(width=width, file=io.StringIO(), color_system="truecolor",
                      force_terminal=True, legacy_windows=False)  # fmt: skip
    first = replay.steps[start].entry.wall_us // 1_000_000 if start < len(replay) else 0
    header = {"version": 2, "width": width, "height": height, "timestamp": first,
              "idle_time_limit": IDLE_TIME_LIMIT, "title": title,
              "env": {"TERM": "xterm-256color"}}  # fmt: skip
    out.write(json.dumps(header) + "\n")
    painters: LRUCache[str, Painter] = LRUCache(16)  # each holds its own caches
    lines: LineCache = {}  # most frames repeat most of the lines before them
    badge = _text(Text(f" {mark} ", ALARM), width, console) if mark else ""
    for index in range(start, len(replay)):
        if len(lines) > LINE_CACHE:
            lines.clear()
        frame = render_frame(replay, index, width, height, console, painters, lines)
        if badge:
            frame[0] = badge + frame[0]
        at = (replay.offset_us(index) - replay.offset_us(start)) / 1e6
        out.write(json.dumps([round(at, 6), "o", CLEAR + "\r\n".join(frame)]) + "\n")
        if progress is not None:
            progress()


def frame_size(replay: Replay) -> tuple[int, int]:
    """Wide and tall enough for the largest viewport recorded (at least 80×24)."""
    width, rows = 80, 22
    for s in replay.steps:
        vp = s.screen.viewport
        if vp is not None:
            width = max(width, len(str(vp.last)) + 2 + vp.cols, len(str(vp.first)) + 2 + vp.cols)
            rows = max(rows, vp.wrap or vp.last - vp.first + 1)
        if s.screen.result_rows is not None:
            first, last = s.screen.result_rows
            rows = max(rows, last - first + 1)
        if s.entry.kind == "quick_open_list" and isinstance(s.entry.payload.get("names"), list):
            rows = max(rows, len(s.entry.payload["names"]))
        if s.entry.kind == "tree_list" and isinstance(s.entry.payload.get("entries"), int):
            rows = max(rows, s.entry.payload["entries"])
    return min(width, 1000), min(rows, 1000) + 2


def render_frame(replay: Replay, index: int, width: int, height: int, console: Console,
                 painters: LRUCache[str, Painter],
                 cache: LineCache | None = None) -> list[str]:  # fmt: skip
    """The lines (with SGR colours) of step `index`."""
    stage = stage_of(replay, index)
    lines = [_text(Text(step_line(replay, index), HEADER), width, console),
             _text(stage.banner, width, console, ALARM if stage.alarm else None)]  # fmt: skip
    lines += _body(stage, width, console, painters, {} if cache is None else cache)
    if stage.message:
        lines.append(_text(Text(stage.message, "italic"), width, console))
    return lines[:height]


def _body(stage: Stage, width: int, console: Console, painters: LRUCache[str, Painter],
          cache: LineCache) -> list[str]:  # fmt: skip
    if stage.kind == "code" and stage.opened is not None and stage.viewport is not None:
        doc, vp = stage.opened.document, stage.viewport
        if vp.wrap:
            return _wrapped(doc, vp, width, console, painters)
        out = []
        for i in range(vp.first - 1, min(vp.last, doc.line_count)):
            key = (doc.blob, i, vp.col, vp.cols)
            line = cache.get(key)
            if line is None:
                painter = painters.get(doc.blob)
                if painter is None:
                    painter = painters[doc.blob] = Painter(doc, console)
                cols = min(vp.cols, width)  # fits.py bounds it; the frame bounds it again
                line = cache[key] = _strip(painter.strip(i, vp.col, cols, GUTTER, FLAG))
            out.append(line)
        return out
    return [_text(row, width, console) for row in stage.rows or []]


def _wrapped(doc: Any, vp: Any, width: int, console: Console,
             painters: LRUCache[str, Painter]) -> list[str]:  # fmt: skip
    """A wrapped viewport's rows (ADR 0212), as the reviewer's terminal drew them."""
    painter = painters.get(doc.blob)
    if painter is None:
        painter = painters[doc.blob] = Painter(doc, console)
    last = min(vp.last, doc.line_count)
    raw = doc.lines(vp.first - 1, last) if vp.first <= last else []
    rows = replayed_rows(vp.first, raw, min(vp.wrap, 1000), vp.cols)  # fits.py bounds both
    bodies = replayed_bodies(rows, vp.cols, painter.lexer, console)
    return [_strip(wrapped_strip(i, k, cells, painter.gutter_width, painter.flagged(i),
                                 GUTTER, FLAG, body).crop(0, width))
            for (i, k, cells), body in zip(rows, bodies, strict=True)]  # fmt: skip


def _text(text: Text, width: int, console: Console, style: Style | None = None) -> str:
    text = text.copy()
    text.no_wrap, text.overflow = True, "ellipsis"
    if style is not None:
        text.stylize(style)
    text.truncate(width, overflow="ellipsis")
    return _strip(Strip(list(text.render(console))))


def _strip(strip: Strip) -> str:
    out = []
    for seg in strip:
        if seg.control:
            continue  # never: sanitized text has none, and none is written
        style = seg.style
        out.append(style.render(seg.text, color_system=TRUECOLOR) if style else seg.text)
    return "".join(out)
