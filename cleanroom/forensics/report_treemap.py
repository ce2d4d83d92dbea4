"""The snapshot as one SVG treemap, for the HTML report: no script, nothing fetched.

Every directory and file is a rectangle sized by its lines (`treemap.nest`) and
coloured by the share of its lines seen in verified sessions: grey for never
opened, then five blues up to all of it. Hovering shows the path, its lines,
the share seen and the time on screen (an SVG `<title>`). Tiles smaller than
`MIN_AREA` are not drawn; their directory's colour stands for them. File tiles
too small for hover text are drawn as one `<path>` per colour (a square
sub-path each), not an element each: on the Linux tree, 4,346 elements for
12,000 tiles. The page
is bounded whatever the trees: at most `MAX_TILES` tiles (children of a
directory are drawn all or none, the biggest tiles split first), hover paths cut to
`TITLE_CHARS` characters (before sanitizing, so no escape is split), and no
tile drawn past `MAX_BYTES`. The bounds are for the whole report, however many
snapshots it maps (`MapBudget`): each map may take an equal share of what the
maps before it left. Names are sanitized and escaped like every other
untrusted string (`report_html.h`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .describe import display, duration, path_text
from .snapshotmap import MapNode
from .treemap import Rect, nest

WIDTH, HEIGHT = 1200, 640
MIN_AREA = 6.0  # px²: smaller tiles are folded into their directory
LABEL = 13.0  # px: the band on top of a directory, for its name
CHAR = 6.6  # px: the width of a label character, to shorten names that do not fit
SHARES = ((0.0, "never opened"), (0.1, "up to 10 %"), (0.4, "up to 40 %"),
          (0.7, "up to 70 %"), (0.999999, "below 100 %"), (1.0, "all"))  # fmt: skip
TITLED = 30.0  # px²: smaller tiles get no hover text (their directory has it)
# Bounds on the page whatever the tree (issue 14: under 20 MB; docs/report-format.md).
MAX_TILES = 12_000  # tiles laid out, biggest first (the Linux 6.1 tree would take ~19.5k)
TITLE_CHARS = 160  # a hover path longer than this is cut in its middle
MAX_BYTES = 3_000_000  # the SVG's text; tiles past it are not drawn, and the page says so
CSS = """
.treemap{width:100%;max-width:1200px;height:auto;display:block;border:1px solid #999;
box-sizing:border-box}
.treemap rect,.treemap path{stroke:#fff;stroke-width:.5}
.treemap rect.dir{stroke:#555;stroke-width:.6}
.treemap text{font:11px system-ui,sans-serif;fill:#111;pointer-events:none}
.treemap text.on-dark{fill:#fff}
.m0{fill:#ececec}.m1{fill:#b0d2ee}.m2{fill:#9ecae1}.m3{fill:#6baed6}.m4{fill:#3182bd}
.m5{fill:#08519c}
.mapkey i{display:inline-block;width:22px;height:12px;border:1px solid #999;vertical-align:middle}
.mapkey i.m0{background:#ececec}.mapkey i.m1{background:#b0d2ee}.mapkey i.m2{background:#9ecae1}
.mapkey i.m3{background:#6baed6}.mapkey i.m4{background:#3182bd}.mapkey i.m5{background:#08519c}
.mapkey span{margin-right:1em;white-space:nowrap}
"""


def share_level(node: MapNode) -> int:
    """0: nothing seen; 1..4: up to 10, 40, 70, below 100 %; 5: every line."""
    if not node.files_seen:
        return 0
    share = node.share
    for level, (top, _) in enumerate(SHARES[1:], start=1):
        if share <= top:
            return level
    return len(SHARES) - 1


def legend() -> str:
    """The colour key, with its numbers."""
    parts = [f'<span><i class="m{k}"></i> {text}</span>' for k, (_, text) in enumerate(SHARES)]
    return f'<p class="mapkey">Share of lines seen: {"".join(parts)}</p>\n'


@dataclass
class MapBudget:
    """What the maps of one report may still take together: tiles and bytes of tiles."""

    tiles: int = MAX_TILES
    bytes: int = MAX_BYTES


def svg(
    root: MapNode,
    esc: Callable[[object], str],
    label: str,
    budget: MapBudget | None = None,
    maps_left: int = 1,
) -> Iterator[str]:
    """The SVG element for `root`; `esc` sanitizes and escapes untrusted text for HTML.
    It takes at most 1/`maps_left` of what `budget` has left (tiles and bytes), and
    takes that from `budget`, so the maps of a report share one bound."""
    budget = budget if budget is not None else MapBudget()
    most_tiles = budget.tiles // max(1, maps_left)
    most_bytes = budget.bytes // max(1, maps_left)
    tiles = nest(root, Rect(0, 0, WIDTH, HEIGHT), MIN_AREA, LABEL, 1.0, max(1, most_tiles))
    size = 0
    drawn = 0
    yield (
        f'<svg class="treemap" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"'
        f' role="img" aria-label="{esc(label)}" xmlns="http://www.w3.org/2000/svg">\n'
    )
    # Small file tiles (no hover text, no label) of one colour are one <path>, one
    # square sub-path each, drawn after the rest: they are leaves, inside tiles
    # drawn before them, so the picture is the same with thousands fewer elements.
    small: dict[int, list[str]] = {}
    for t in tiles:  # parents first, biggest levels first: a cut keeps a whole picture
        if drawn >= most_tiles:
            break
        n, r = t.node, t.rect
        assert isinstance(n, MapNode)
        if r.area < TITLED and not n.is_dir:
            part, level = _square(r), share_level(n)
        else:
            part, level = _tile(n, r, esc), -1
        weight = len(part.encode())  # bytes, as the file holds them: a tag is 3-byte ⟨ ⟩
        if size + weight > most_bytes:
            break
        size += weight
        drawn += 1
        if level < 0:
            yield part
        else:
            small.setdefault(level, []).append(part)
    for level, squares in sorted(small.items()):
        yield f'<path class="file m{level}" d="{"".join(squares)}"/>\n'
    budget.tiles -= drawn
    budget.bytes -= size
    yield "</svg>\n"
    cut = " (cut to keep this page small)" if drawn < len(tiles) else ""
    yield (
        f'<p class="mapcut">{drawn:,} tiles drawn{cut}, at most {most_tiles:,} for this map '
        f"({MAX_TILES:,} for all the maps of the report): the biggest directories and files; "
        "the rest take the colour of the directory holding them.</p>\n"
    )


def _tile(n: object, r: Rect, esc: Callable[[object], str]) -> str:
    """One tile's SVG: its rectangle, its hover text if big enough, its name if it fits."""
    assert isinstance(n, MapNode)
    level = share_level(n)
    kind = "dir" if n.is_dir else "file"
    box = f'x="{r.x:.1f}" y="{r.y:.1f}" width="{r.w:.1f}" height="{r.h:.1f}"'
    name = _cut(path_text(n.path or b"/"), TITLE_CHARS)
    tip = (
        f"{name}{'/' if n.is_dir and n.path else ''}: {n.lines:,} lines, "
        f"{_pct(n)} seen, {duration(n.on_screen_us)} on screen"
        + (f", {n.files_seen:,} of {n.files:,} files opened" if n.is_dir else "")
    )
    # display text already (names through `_cut`): only entity escaping is left
    out = f'<rect class="{kind} m{level}" {box}><title>{html.escape(tip)}</title></rect>\n'
    text = _fit(n, r)
    if text:
        dark = " on-dark" if level >= 4 else ""
        out += (
            f'<text class="{kind}{dark}" x="{r.x + 3:.1f}" y="{r.y + 10.5:.1f}">'
            f"{html.escape(text)}</text>\n"
        )
    return out


def _square(r: Rect) -> str:
    """A small tile as a sub-path of its colour's <path>: a closed rectangle."""
    return f"M{r.x:.1f} {r.y:.1f}h{r.w:.1f}v{r.h:.1f}h{-r.w:.1f}z"


def _cut(text: str, keep: int) -> str:
    """`text` cut in the middle to `keep` characters: the top and the file name stay.
    Cut before sanitizing, so no escape is split; each character kept becomes at
    most a few bytes of escape, which bounds the hover text. Returns display text:
    each part sanitized, then the cut mark, which is ours and so never tagged."""
    if len(text) <= keep:
        return display(text)
    head = keep // 3
    return display(text[:head]) + "…" + display(text[len(text) - (keep - head - 1) :])


def _fit(n: MapNode, r: Rect) -> str:
    """The node's name, shortened to its rectangle, or "" if there is no room."""
    if r.h < LABEL or r.w < 5 * CHAR or not n.path:
        return ""
    name = path_text(n.name) + ("/" if n.is_dir else "")
    room = int((r.w - 6) / CHAR)
    return display(name) if len(name) <= room else display(name[: max(1, room - 1)]) + "…"


def _pct(n: MapNode) -> str:
    if not n.files_seen:
        return "0 %"
    return f"{100 * n.share:.1f} %"
