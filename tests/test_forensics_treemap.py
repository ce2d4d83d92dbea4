"""The squarified treemap layout on its own: areas, overlap, bounds, edge cases, speed."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import pytest

from cleanroom.forensics.treemap import Rect, nest, squarify

BOUNDS = Rect(10.0, 20.0, 1200.0, 640.0)
EPS = 1e-6


def _inside(r: Rect, b: Rect) -> bool:
    return (b.x - EPS <= r.x and r.x + r.w <= b.x + b.w + EPS
            and b.y - EPS <= r.y and r.y + r.h <= b.y + b.h + EPS)  # fmt: skip


def _overlap(a: Rect, b: Rect) -> float:
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(0.0, w) * max(0.0, h)


def _no_overlap(rects: list[Rect]) -> bool:
    """A sweep over x: only rectangles whose x ranges meet are compared."""
    order = sorted((r for r in rects if r.area > 0), key=lambda r: r.x)
    active: list[Rect] = []
    for r in order:
        active = [a for a in active if a.x + a.w > r.x + EPS]
        if any(_overlap(a, r) > 1e-6 * min(a.area, r.area) + EPS for a in active):
            return False
        active.append(r)
    return True


WEIGHTS = {
    "one": [7],
    "equal": [5] * 12,
    "skewed": [10_000, 1, 1, 1, 3, 500],
    "with zeros": [0, 4, 0, 9, 1],
    "random": [random.Random(1).randint(1, 5000) for _ in range(300)],
}


@pytest.mark.parametrize("name", WEIGHTS)
def test_areas_are_proportional_inside_and_apart(name):
    weights = WEIGHTS[name]
    rects = squarify(weights, BOUNDS)
    assert len(rects) == len(weights)
    total = sum(weights)
    for w, r in zip(weights, rects, strict=True):
        assert r.area == pytest.approx(BOUNDS.area * w / total, rel=1e-9, abs=1e-6)
        assert r.w >= 0 and r.h >= 0
        assert _inside(r, BOUNDS)
    assert _no_overlap(rects)
    assert sum(r.area for r in rects) == pytest.approx(BOUNDS.area)


def test_a_single_weight_fills_the_bounds():
    (r,) = squarify([3], BOUNDS)
    assert (r.x, r.y) == (BOUNDS.x, BOUNDS.y)
    assert r.w == pytest.approx(BOUNDS.w) and r.h == pytest.approx(BOUNDS.h)


@pytest.mark.parametrize("weights", [[], [0], [0, 0], [-3, 0]])
def test_nothing_to_lay_out_gives_empty_rectangles(weights):
    rects = squarify(weights, BOUNDS)
    assert len(rects) == len(weights) and all(r.area == 0 for r in rects)


def test_bounds_without_area_give_empty_rectangles():
    assert all(r.area == 0 for r in squarify([1, 2], Rect(0, 0, 0, 50)))


def test_tiles_are_not_slivers():
    """The point of squarifying: equal weights give near-squares, not strips."""
    rects = squarify([1] * 64, Rect(0, 0, 800, 800))
    assert max(max(r.w / r.h, r.h / r.w) for r in rects) < 2.5


@dataclass(eq=False)
class Node:
    weight: int
    children: list[Node] = field(default_factory=list)


def _tree(files: int, fanout: int, seed: int = 2) -> Node:
    rnd = random.Random(seed)
    leaves = [Node(rnd.choice([1, 10, 100, 1000, 5000])) for _ in range(files)]
    level = leaves
    while len(level) > 1:
        level = [Node(sum(k.weight for k in level[i : i + fanout]), level[i : i + fanout])
                 for i in range(0, len(level), fanout)]  # fmt: skip
    return level[0]


def test_nested_children_stay_inside_their_parent_and_apart():
    root = _tree(500, 6)
    tiles = nest(root, BOUNDS, min_area=0.0001, label=12.0, pad=1.0)
    where = {id(t.node): t for t in tiles}
    assert tiles[0].node is root and tiles[0].rect == BOUNDS
    for t in tiles:
        kids = [where[id(k)] for k in t.node.children if id(k) in where]
        assert all(_inside(k.rect, t.rect) and k.depth == t.depth + 1 for k in kids)
        if t.rect.h > 36 and t.rect.w > 48:  # room for a label: the children are below it
            assert all(k.rect.y >= t.rect.y + 12.0 for k in kids)
        assert _no_overlap([k.rect for k in kids])
    assert sum(1 for t in tiles if not t.node.children) == 500  # every file drawn


def test_tiles_below_the_minimum_are_folded_into_their_parent():
    root = Node(1001, [Node(1000), Node(1)])
    tiles = nest(root, Rect(0, 0, 100, 100), min_area=50.0)
    assert [t.node.weight for t in tiles] == [1001, 1000]


def test_an_empty_tree_and_a_one_file_tree():
    assert [t.node for t in nest(Node(0), BOUNDS)] != []
    one = Node(5, [Node(5)])
    tiles = nest(one, BOUNDS, label=0.0, pad=0.0)
    assert len(tiles) == 2 and tiles[1].rect.area == pytest.approx(BOUNDS.area)


def test_84k_files_lay_out_fast():
    root = _tree(84_000, 40)
    t0 = time.process_time()  # CPU, not wall: a loaded machine stretched the wall past 5 s
    tiles = nest(root, BOUNDS, min_area=0.0001)
    took = time.process_time() - t0
    assert sum(1 for t in tiles if not t.node.children) == 84_000
    assert took < 5.0, took  # about 0.5 s on an idle core: a guard against quadratic work
