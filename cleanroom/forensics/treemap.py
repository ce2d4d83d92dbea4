"""A squarified treemap layout (Bruls, Huizing and van Wijk, 2000), pure Python.

`squarify` divides a rectangle into one rectangle per weight, each with an area
proportional to its weight, none overlapping, all inside, and each as close to a
square as the greedy row-by-row method gets. `nest` lays out a tree: every
node's children are squarified inside its own rectangle, under a band kept for
its label, down to tiles too small to see or up to a number of tiles. Both are
linear in the number of tiles drawn (after one sort per directory), so a
snapshot of 84k files lays out in well under a second.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h


class Weighted(Protocol):
    @property
    def weight(self) -> int: ...

    @property
    def children(self) -> Sequence[Weighted]: ...


@dataclass(frozen=True, slots=True)
class Tile:
    """A node placed: its rectangle and its depth (0 for the root)."""

    node: Weighted
    rect: Rect
    depth: int


def squarify(weights: Sequence[float], bounds: Rect) -> list[Rect]:
    """One rectangle per weight, in the order given. A weight of zero or less, or
    bounds without area, give a rectangle of no area at the bounds' corner."""
    n = len(weights)
    empty = Rect(bounds.x, bounds.y, 0.0, 0.0)
    out = [empty] * n
    total = sum(w for w in weights if w > 0)
    if total <= 0 or bounds.w <= 0 or bounds.h <= 0:
        return out
    order = sorted((i for i in range(n) if weights[i] > 0), key=lambda i: -weights[i])
    scale = bounds.area / total
    areas = [weights[i] * scale for i in order]
    x, y, w, h = bounds.x, bounds.y, bounds.w, bounds.h
    i = 0
    while i < len(areas):
        short = min(w, h)
        j, row, big, small = i + 1, areas[i], areas[i], areas[i]
        worst = _worst(row, big, small, short)
        while j < len(areas):
            a = areas[j]
            nxt = _worst(row + a, big, a, short)  # sorted: a is the smallest so far
            if nxt > worst:
                break
            row, small, worst, j = row + a, a, nxt, j + 1
        last = j == len(areas)
        if w >= h:  # a column at the left, as wide as the row's area needs
            cw = w if last else row / h
            yy = y
            for k in range(i, j):
                hh = areas[k] / cw if cw > 0 else 0.0
                out[order[k]] = Rect(x, yy, cw, hh)
                yy += hh
            x, w = x + cw, w - cw
        else:  # a row along the top
            rh = h if last else row / w
            xx = x
            for k in range(i, j):
                ww = areas[k] / rh if rh > 0 else 0.0
                out[order[k]] = Rect(xx, y, ww, rh)
                xx += ww
            y, h = y + rh, h - rh
        i = j
    return out


def _worst(row: float, big: float, small: float, short: float) -> float:
    """The worst aspect ratio in a row of total area `row` laid along `short`."""
    s2, r2 = short * short, row * row
    return max(s2 * big / r2, r2 / (s2 * small))


def nest(
    root: Weighted,
    bounds: Rect,
    min_area: float = 4.0,
    label: float = 0.0,
    pad: float = 1.0,
    max_tiles: int | None = None,
) -> list[Tile]:
    """Tiles of `root` and its descendants, parents before children, the biggest
    tiles split first.
    Children fill their parent's rectangle less `pad` on each side and a `label`
    band on top, when the parent is big enough to keep them visible. A child whose
    rectangle would be below `min_area` is left out: its parent's colour stands for
    all it holds. With `max_tiles`, a node's children are laid out only if all of
    them still fit under it, so the biggest tiles are split first, each whole, and
    the count is bounded whatever the tree."""
    tiles: list[Tile] = [Tile(root, bounds, 0)]
    todo = [(-bounds.area, 0)]  # the biggest tile is split first, so a cap keeps the big
    while todo:
        tile = tiles[heapq.heappop(todo)[1]]
        kids = tile.node.children
        if not kids:
            continue
        r = tile.rect
        band = label if r.h > 3 * label and r.w > 4 * label else 0.0
        inner = Rect(r.x + pad, r.y + pad + band, r.w - 2 * pad, r.h - 2 * pad - band)
        if inner.w <= 0 or inner.h <= 0:
            continue
        rects = squarify([k.weight for k in kids], inner)
        placed = [
            Tile(kid, rect, tile.depth + 1)
            for kid, rect in zip(kids, rects, strict=True)
            if rect.area >= min_area
        ]
        if max_tiles is not None and len(tiles) + len(placed) > max_tiles:
            continue  # this node's colour stands for all it holds
        for t in placed:
            heapq.heappush(todo, (-t.rect.area, len(tiles)))
            tiles.append(t)
    return tiles
