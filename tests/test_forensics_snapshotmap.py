"""The snapshot as a tree with what was seen: sums, shares and what nobody opened."""

from __future__ import annotations

from cleanroom.forensics.coverage import FileCoverage, Segment
from cleanroom.forensics.snapshotmap import never_opened, snapshot_map

B1, B2, B3 = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32


def _cov(path: bytes, blob: bytes, lines: int, seen: int) -> FileCoverage:
    runs = [Segment(1, seen, 5, 1)] + ([Segment(seen + 1, lines, 0, 0)] if seen < lines else [])
    return FileCoverage(path, blob.hex(), lines, runs, on_screen_us=1000)


ROWS = [
    (b"README", B1, 10, False, 0),
    (b"drivers/gpu/a.c", B2, 100, False, 0),
    (b"drivers/gpu/b.c", B2, 100, False, 0),
    (b"drivers/net/e.c", B3, 50, False, 0),
    (b"empty", B1, 0, False, 0),
    (b"kernel/x.c", B3, 40, False, 0),
]


def test_sums_and_shares_follow_the_exact_content_seen():
    seen = {
        (b"drivers/net/e.c", B3.hex()): _cov(b"drivers/net/e.c", B3, 50, 25),
        (b"kernel/x.c", B1.hex()): _cov(b"kernel/x.c", B1, 40, 40),  # other content: not this
    }
    root = snapshot_map(ROWS, seen)
    # The empty file is its one empty line, as coverage counts it (shownlines.py).
    assert (root.files, root.lines, root.files_seen, root.seen) == (6, 301, 1, 25)
    assert root.weight == 10 + 100 + 100 + 50 + 1 + 40  # an empty file still has a tile
    drivers = next(k for k in root.children if k.name == b"drivers")
    assert (drivers.files, drivers.lines, drivers.seen) == (3, 250, 25)
    assert drivers.share == 0.1
    kernel = next(k for k in root.children if k.name == b"kernel")
    assert kernel.files_seen == 0 and kernel.share == 0.0


def test_never_opened_folds_untouched_directories():
    seen = {(b"drivers/net/e.c", B3.hex()): _cov(b"drivers/net/e.c", B3, 50, 1)}
    out = [(u.path, u.whole, u.names, u.files) for u in never_opened(snapshot_map(ROWS, seen))]
    assert out == [
        (b"", False, [b"README", b"empty"], 2),
        (b"drivers/gpu", True, [], 2),
        (b"kernel", True, [], 1),
    ]


def test_an_empty_snapshot_and_a_one_file_snapshot():
    empty = snapshot_map([], {})
    assert (empty.files, empty.lines, empty.children) == (0, 0, [])
    assert list(never_opened(empty)) == []
    one = snapshot_map([(b"a", B1, 3, False, 0)], {(b"a", B1.hex()): _cov(b"a", B1, 3, 3)})
    assert one.share == 1.0 and list(never_opened(one)) == []


def test_a_deep_tree_needs_no_recursion():
    path = b"/".join([b"d"] * 3000) + b"/f"
    root = snapshot_map([(path, B1, 1, False, 0)], {})
    assert root.files == 1 and [u.path for u in never_opened(root)] == [b"d"]
