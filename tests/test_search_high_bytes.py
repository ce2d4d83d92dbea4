"""A word boundary before a literal rules out incomplete documents too, once what
follows their bytes over 0x7F is read (cleanroom/snapshot/high_bytes.py), and
never loses a hit: the index reads such a document by characters, so the
character before the literal may be a multi-byte one, or a letter that a
multi-byte one folds to (the Kelvin sign is indexed as `k`)."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

import cleanroom.snapshot.candidates as candidates
import cleanroom.snapshot.high_bytes as high_bytes
from cleanroom.snapshot.candidates import index_facts
from cleanroom.snapshot.catalog import catalog
from cleanroom.snapshot.high_bytes import after_high, read_after_high, read_in_background
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import checked_connection, prepare, search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build
from tests.snapshotkit import TRUST

ACCENT = "é".encode()  # makes a document incomplete: two bytes, one character

# Each holds one match of `(?i)\bmalloc\s*\(` whose byte before is over 0x7F, in a
# document with no other context the index can see (a stray continuation byte or a
# lone lead byte the index reads as U+0080-U+00BF or U+FFFD, which the context
# names; a whole character from U+00C0 up, or one folded to ASCII, it does not).
HIGH_BEFORE = {
    b"h/two-bytes": "x émalloc(1)\n".encode(),
    b"h/three-bytes": "\u202emalloc(2)\n".encode(),
    b"h/four-bytes": "\U0001f600malloc(3)\n".encode(),
    b"h/kelvin": "\u212amalloc(4)\n".encode(),  # indexed as "kmalloc"
    b"h/long-s": "\u017fmalloc(5)\n".encode(),  # indexed as "smalloc"
    b"h/lone-lead": ACCENT + b"\n\xc3malloc(6)\n",
    b"h/stray": ACCENT + b"\n\xb5malloc(7)\n",
    b"h/upper": "xéMALLOC(8)\n".encode(),  # found by (?i)
    b"h/last-bytes": ACCENT + b"\n" + b"y" * 40 + b"\xa9malloc(",
}
# Incomplete documents where malloc follows only word characters, or bytes over
# 0x7F follow other text: a word boundary rules them out.
ONLY_WORDS = {
    b"w/%02d" % i: ACCENT + b" kmalloc(1); vmalloc (2); \xc3\xa9xmalloc(3); \xe9ma;\n"
    for i in range(6)
}
PLAIN = {b"p/ascii": b"int a = malloc(9);\n", b"p/start": b"malloc(10)\n"}
FILES = {**HIGH_BEFORE, **ONLY_WORDS, **PLAIN}
PATTERNS = [r"\bmalloc\s*\(", r"\bmalloc", r"(?i)\bMALLOC\(", r"\bmalloc|\bfree",
            r"(?:\bmall|xmall)oc", r"\b(?:malloc|kmalloc)\(", r"^malloc", r"^\s*malloc",
            r"=?\bmalloc", r"\b\(malloc"]  # fmt: skip


def read_high_bytes(snapshot: Snapshot) -> None:
    """Read what follows the high bytes now, as prepare's thread does."""
    with snapshot.unmapped() as conn:
        facts = index_facts(snapshot, conn, catalog(snapshot, conn))
    read_in_background(snapshot, checked_connection(snapshot), facts.incomplete).join(60)
    assert after_high(snapshot) is not None


@pytest.fixture(scope="module")
def snap_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("highbytes"), FILES)


def unindexed(pattern: str, case: bool = True) -> Query:
    """The same query run without the index: every text blob is read and matched
    (the reference: the content has invalid UTF-8, which tests.searchkit's does not take)."""
    query = Query(pattern, regex=True, case=case)
    plan = query.plan()
    object.__setattr__(query, "_plan", dataclasses.replace(plan, index=None, context=None))
    return query


def found(snapshot: Snapshot, query: Query) -> list[tuple]:
    return [(h.path, h.line, tuple(h.spans), h.more_spans) for h in search(snapshot, query).hits()]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_hit_is_found_with_the_high_bytes_read(snap_path, pattern):
    with Snapshot.open(snap_path, TRUST) as snapshot:
        read_high_bytes(snapshot)
        for case in (True, False):
            want = found(snapshot, unindexed(pattern, case))
            assert found(snapshot, Query(pattern, regex=True, case=case)) == want, (pattern, case)


def test_each_high_byte_document_is_a_hit(snap_path):
    with Snapshot.open(snap_path, TRUST) as snapshot:
        read_high_bytes(snapshot)
        paths = {h.path for h in search(snapshot, Query(r"(?i)\bmalloc\(", regex=True)).hits()}
    assert set(HIGH_BEFORE) <= paths


def test_incomplete_documents_where_the_word_only_ends_others_are_not_read(snap_path, monkeypatch):
    # This tree is small enough that every candidate would be read unnarrowed
    # (candidates.FEW): make the context expression run, as on a real tree.
    monkeypatch.setattr(candidates, "FEW", 0)
    query = Query(r"\bmalloc\s*\(", regex=True)
    with Snapshot.open(snap_path, TRUST) as snapshot:
        before = search(snapshot, query)
        before.total()
        read_high_bytes(snapshot)
        after = search(snapshot, query)
        after.total()
        assert after.digest() == before.digest()
    # Before the high bytes are read every incomplete document is read; after, the
    # six where malloc only ends a word are not.
    assert before.progress.files - after.progress.files == len(ONLY_WORDS)


def test_prepare_reads_the_high_bytes_in_the_background(snap_path):
    with Snapshot.open(snap_path, TRUST) as snapshot:
        assert after_high(snapshot) is None
        prepare(snapshot)
        for thread in [t for t in threading.enumerate() if t.name == "after-high"]:
            thread.join(60)
        known = after_high(snapshot)
    assert known is not None
    assert len(known.after[b"mal"]) == len(HIGH_BEFORE)  # ONLY_WORDS: never after one


def test_a_high_byte_at_the_end_of_a_piece_is_followed_into_the_next(tmp_path, monkeypatch):
    files = {b"a": ACCENT + b"\n" + b"z" * 5 + b"\xa9malloc(1)\n", b"b": ACCENT + b"\nkmalloc(2)\n"}
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot:
        with snapshot.unmapped() as conn:
            incomplete = index_facts(snapshot, conn, catalog(snapshot, conn)).incomplete
        for piece in range(1, 12):
            monkeypatch.setattr(high_bytes, "PIECE", piece)
            conn = checked_connection(snapshot)
            try:
                known = read_after_high(conn, incomplete)
            finally:
                conn.close()
            assert len(known.after.get(b"mal", ())) == 1, piece  # "a" only


def test_an_unreadable_blob_stays_a_candidate():
    known = high_bytes.AfterHigh({b"mal": frozenset({3})}, frozenset({7}))
    assert known.exempt([b"MAL"]) == {3, 7}
    assert known.exempt([b"fre"]) == {7}
    assert known.exempt([]) == {7}


def test_a_failed_read_leaves_every_incomplete_document_a_candidate(snap_path, monkeypatch):
    query = Query(r"\bmalloc\s*\(", regex=True)

    def broken(*_args):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(high_bytes, "read_after_high", broken)
    with Snapshot.open(snap_path, TRUST) as snapshot:
        prepare(snapshot)
        for thread in [t for t in threading.enumerate() if t.name == "after-high"]:
            thread.join(60)
        assert after_high(snapshot) is None
        assert found(snapshot, query) == found(snapshot, unindexed(query.text))


def test_heads_are_the_literals_a_high_byte_may_stand_before():
    def heads(pattern: str) -> tuple[bytes, ...]:
        return Query(pattern, regex=True).plan().after_high

    assert heads(r"\bmalloc\s*\(") == (b"mal",)
    assert heads(r"(?i)\bMALLOC") == (b"mal",)
    assert heads(r"\bmalloc|\bfree") == (b"fre", b"mal")
    assert heads(r"^malloc") == ()  # a line feed before: ASCII, seen by the index
    assert heads(r"\b\(malloc") == ()  # a word character before: ASCII
    assert heads(r"malloc") == ()  # no context at all
    plan = Query(r"\bmalloc", regex=True).plan()
    assert dataclasses.replace(plan, after_high=()).after_high == ()
