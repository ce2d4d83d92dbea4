"""Literals of one or two bytes narrowed through the trigram index's vocabulary
(shortlit): the same hits as a brute-force reference whatever a file's end looks
like, far fewer files read when the literal is rare, and a full scan when it is not."""

from __future__ import annotations

import pytest

from cleanroom.snapshot import shortlit
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.readonly import connect
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build, digest_of, reference
from tests.snapshotkit import TRUST
from tests.test_search import displays, results

# Where a short literal can hide from the trigrams: at the very end of a file, before
# a last character of several bytes (a lead byte takes every continuation byte after
# it), after a NUL that stops the index, in a file of one or two bytes.
ENDS = {
    b"end2.txt": b"line\nzzJq",
    b"end1.txt": b"line\nzzJ",
    b"before-last.txt": "line\nzzJé".encode(),
    b"long-char.txt": b"line\nzJ\xc3" + b"\x80" * 100_000,
    b"strays.txt": b"line\nzJ\x80\x80",
    b"lone-lead.txt": b"line\nzJ\xc3",
    b"two.txt": b"Jq",
    b"one.txt": b"J",
    b"after-nul.txt": b"x" * 9000 + b"\x00 Jq J\n",
    b"upper.txt": b"line\nzzJQ",
    b"inner.txt": b"a Jq b\n",
}
FILLER = {b"fill/%03d.c" % i: b"int main(void) { return %d; }\n" % i for i in range(60)}


# With the byte presence table (a literal of one byte is narrowed by it) and without
# (a snapshot made before it: the vocabulary narrows it, as here for two bytes).
@pytest.fixture(scope="module", params=[True, False], ids=["presence", "vocabulary"])
def ends(tmp_path_factory, request):
    files = {**ENDS, **FILLER}
    return files, build(tmp_path_factory.mktemp("short"), files, presence=request.param)


@pytest.mark.parametrize("text, case", [("Jq", True), ("jq", False), ("J", True), ("j", False),
                                        ("Q", True), ("q", True), ("\x80", True)])  # fmt: skip
def test_short_literals_find_every_hit_at_any_end(ends, text, case):
    files, path = ends
    query = Query(text, case=case)
    with Snapshot.open(path, TRUST) as snapshot, search(snapshot, query) as s:
        want = reference(files, query, displays(snapshot))
        assert results(s) == want
        assert s.total() == len(want) and s.digest() == digest_of(query, want)


def test_a_rare_short_literal_reads_only_the_files_that_can_hold_it(ends):
    files, path = ends
    with Snapshot.open(path, TRUST) as snapshot:
        for text in ("Jq", "J"):
            with search(snapshot, Query(text)) as s:
                assert s.total() > 0
                # every file of ENDS but none of the 60 fillers (which hold no J)
                assert s.progress.files <= len(ENDS)


def test_a_common_short_literal_falls_back_to_reading_everything(ends):
    files, path = ends
    query = Query("in")  # in every filler: more than BROAD of the files
    with Snapshot.open(path, TRUST) as snapshot, search(snapshot, query) as s:
        conn = connect(path)
        try:
            assert shortlit.short_candidates(snapshot, conn, b"in", lambda: None) is None
            assert shortlit.short_candidates(snapshot, conn, b"jq", lambda: None) is not None
        finally:
            conn.close()
        assert results(s) == reference(files, query, displays(snapshot))


def test_only_short_ascii_literals_take_this_path():
    assert shortlit.short_needle(b"Jq") == b"jq"
    assert shortlit.short_needle(b"J") == b"j"
    for needle in (b"", b"abc", "é".encode(), b"\x00", b"a\x00", b"\xff"):
        assert shortlit.short_needle(needle) is None
    assert Query("Jq").plan().short == b"jq" and Query("Jqx").plan().short is None
    assert Query("J", regex=True).plan().short is None  # regexes: not (yet) this path
