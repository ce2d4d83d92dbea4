"""Wide clauses (ADR 0118): a straddle of two small classes becomes a clause of up to
MAX_CLAUSE trigrams (the UUID shape: 256), so the analysis that prunes clauses must
stay exact and cheap at that size, and a broad pass must not read an answer that
names nearly every blob."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.snapshot import density, pattern, scanworkers
from cleanroom.snapshot import search as search_mod
from cleanroom.snapshot.pattern import BOUNDARY, LINE_START, Literal, _contains
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build, digest_of, reference
from tests.snapshotkit import TRUST
from tests.test_search import displays

# -- the pruning, against comparing every pair ------------------------------------------


def _minimal_pairwise(clause):
    return frozenset(
        lit for lit in clause if not any(o != lit and _contains(lit, o) for o in clause)
    )


def _implies_pairwise(a, b):
    return all(any(_contains(x, y) for y in b) for x in a)


def _prune_pairwise(cnf):
    usable = {cl for cl in cnf if cl and len(cl) <= pattern.MAX_CLAUSE}
    kept: list = []
    for clause in sorted(usable, key=pattern._selectivity):
        if not any(_implies_pairwise(k, clause) for k in kept):
            kept = [k for k in kept if not _implies_pairwise(clause, k)]
            kept.append(clause)
    return tuple(kept[: pattern.MAX_CLAUSES])


def _literal(text: bytes, folded: bool, before: str) -> Literal:
    return Literal(text.lower() if folded else text, folded, before)


literals = st.builds(
    _literal,
    st.binary(max_size=5).map(lambda b: bytes(x % 4 + 0x41 + (x & 32) for x in b)),  # aAbB..
    st.booleans(),
    st.sampled_from(["", BOUNDARY, LINE_START]),
)
clauses = st.frozensets(literals, min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(clauses)
def test_minimal_drops_exactly_what_comparing_every_pair_drops(clause):
    assert pattern._minimal(clause) == _minimal_pairwise(clause)


@settings(max_examples=200, deadline=None)
@given(st.lists(clauses, max_size=10))
def test_prune_keeps_exactly_what_comparing_every_pair_keeps(cnf):
    assert set(pattern._prune(cnf)) == set(_prune_pairwise(cnf))


def test_boring_clauses():
    empty, a, ab = Literal(b"", False), Literal(b"a", False), Literal(b"ab", False)
    assert pattern._minimal(frozenset({empty, a, ab})) == frozenset({empty})
    assert pattern._minimal(frozenset({ab})) == frozenset({ab})
    folded = Literal(b"ab", True)
    assert pattern._minimal(frozenset({ab, folded})) == frozenset({folded})  # ab holds ab/AB


def test_the_uuid_shape_has_a_clause_the_index_can_use():
    plan = Query("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", regex=True).plan()
    assert plan.index is not None and plan.index.count(" OR ") == 255
    assert plan.matcher.line_filter is None  # 256 literals: Hyperscan picks the lines
    assert Query("[0-9a-z]{8}-[0-9a-z]{4}", regex=True).plan().index is None  # 1,296


# -- a broad answer that names nearly everything is not read ---------------------------


@pytest.fixture
def workers(monkeypatch):
    if not scanworkers.allowed():
        pytest.skip("this process may not start worker processes")
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)
    monkeypatch.setattr(scanworkers, "FIRST_BYTES", 1)
    monkeypatch.setattr(scanworkers, "CHUNK_BYTES", 64)
    monkeypatch.setattr(scanworkers, "WORKERS", 2)
    monkeypatch.setattr(search_mod, "PEEK", 5)
    monkeypatch.setattr(density, "WIDTH", 5)  # windows of 5 rowids in an 80-blob tree


@pytest.mark.parametrize("named_every", [1, 2])
def test_workers_read_the_answer_only_where_it_leaves_out_enough(tmp_path, workers, named_every):
    """Every file holds `a-b` (every one: the windows see 1.0 of their rowids named, so
    the workers read every text blob) or every second one (0.5: they read only the
    named ones); the last two files never hold it. Same hits and digest either way."""
    files = {b"f%03d.txt" % i: (b"a-b %d\n" % i if i % named_every == 0 else b"no %d\n" % i)
             for i in range(78)}  # fmt: skip
    files.update({b"z%d.txt" % i: b"nothing %d\n" % i for i in range(2)})
    query = Query("[ab]-[ab]", regex=True)
    assert query.plan().index is not None
    path = build(Path(tmp_path), files)
    with Snapshot.open(path, TRUST) as snapshot, search(snapshot, query) as s:
        want = reference(files, query, displays(snapshot))
        assert s.total() == len(want) and s.digest() == digest_of(query, want)
        assert s.progress.workers == 2
        every = s.progress.files == len(files)
        assert every == (named_every == 1), (s.progress.files, len(files))
