"""A window's end runs (ADR 0404): a run touching a window's start may be the end of
a longer source name, one touching its end the beginning of one, so their
candidates are the blobs of every name ending (beginning) with the run, from the
name table, not the trigram index. The fast check must still answer what the
brute-force reference answers: source names led by digits, names that only
contain the run, more names than `MAX_AROUND`, the table counted now or cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.forensics.notes import WrittenNote
from cleanroom.ledger.verdict import Status
from cleanroom.notecheck import names
from cleanroom.notecheck.check import check_notes
from cleanroom.notecheck.corpus import SnapshotText
from cleanroom.snapshot.store import Snapshot
from tests import notecheck_reference as reference
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit
from tests.noteskit import note

PROSE = "the ring is shared with the device and the driver owns the head"
FILES = {
    # the quote's first word is the tail of a run led by a digit
    b"lib/digit.c": b"x = 9frob_tail_name(), " + PROSE.encode() + b";\n",
    # ... of a longer name
    b"lib/longer.c": b"y = ring_prefix_frob_tail2(), " + PROSE.encode() + b" too;\n",
    # the quote's last word is the head of a longer name, led by a digit or not
    b"lib/head.c": PROSE.encode() + b" frob_head_name_long;\n",
    b"lib/hex.c": b"mask = " + PROSE.encode() + b" 0x1f_abcd_ef;\n",
    # more names ending with the run than the table reads: the index decides
    **{b"lib/many%03d.c" % i: b"int p%d_common_tail;\n" % i for i in range(names.MAX_AROUND + 6)},
    b"lib/common.c": b"z = q_common_tail, " + PROSE.encode() + b";\n",
    # the run only inside a name, never at its end: no candidate
    b"lib/inside.c": b"w = frob_tail_namexyz(), " + PROSE.encode() + b";\n",
}
BODIES = [
    "frob_tail_name(), " + PROSE,
    "In frob_tail2(), " + PROSE + " too",
    PROSE + " frob_head_na",
    PROSE + " 0x1f_ab",
    PROSE + " 1f_abcd",
    "_common_tail, " + PROSE,
    "rob_tail_name(), " + PROSE,
    "frob_tail_namexy(), " + PROSE,  # not the end of any name: nowhere
    PROSE + " frob_head_nameX",
    "9frob_tail_name(), the ring",
]


def notes() -> list[WrittenNote]:
    return [
        WrittenNote(note(i + 1, b), "", "", "", i + 1, None, None, Status.INTACT, False, 1)
        for i, b in enumerate(BODIES)
    ]


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory) -> tuple[Kit, Path]:
    kit = Kit("ncaround")
    return kit, make_snapshot(kit, tmp_path_factory.mktemp("around"), files=FILES)


def plain(checks) -> list:
    return [
        [(f.field, f.text, sorted((p.path, p.line) for p in f.places)) for f in c.fragments]
        for c in checks
    ]


def run(snap: Snapshot, min_length: int, **kw) -> tuple[list, SnapshotText]:
    corpus = SnapshotText(snap, **kw)
    try:
        return plain(check_notes(notes(), corpus, min_length)), corpus
    finally:
        corpus.close()


def want(snap: Snapshot, min_length: int) -> list:
    files = reference.text_files(snap)
    return [[("body", r, p) for r, p in reference.runs(b, files, min_length)] for b in BODIES]


@pytest.mark.parametrize("min_length", [40, 12])
def test_end_runs_find_what_the_reference_finds(corpus_path, tmp_path, min_length):
    kit, path = corpus_path
    with Snapshot.open(path, kit.trust) as snap:
        expected = want(snap, min_length)
        counted, first = run(snap, min_length, cache_dir=tmp_path / "c")
        cached, again = run(snap, min_length, cache_dir=tmp_path / "c")
        memory, _ = run(snap, min_length)
    assert not first.names_cached and again.names_cached
    assert counted == cached == memory == expected
    if min_length == 40:  # the agreement is not vacuous: each end run counts
        runs = [[text for _, text, _ in fragments] for fragments in expected]
        assert [runs[i] for i in (0, 2, 3, 5, 6)] == [[BODIES[i]] for i in (0, 2, 3, 5, 6)]
        assert runs[1] == [BODIES[1][3:]]
        assert runs[4] == runs[7] == runs[8] == [PROSE]  # not a head, nor a tail, of a name


def test_end_runs_are_read_from_the_table_not_the_index(corpus_path):
    kit, path = corpus_path
    with Snapshot.open(path, kit.trust) as snap:
        corpus = SnapshotText(snap)
        try:
            assert corpus.names is not None
            assert corpus.names.around("frob_tail_name", at_start=True) == corpus.names.around(
                "9frob_tail_name", at_start=True
            )
            assert corpus.names.around("frob_head_na", at_start=False)
            assert corpus.names.around("_common_tail", at_start=True) is None  # too many
            assert corpus.names.around("frob_tail_namexy", at_start=True) == set()
            check_notes(notes()[:1], corpus, 40)
            assert corpus.queries == 0
        finally:
            corpus.close()


def test_a_table_of_letter_led_names_only_would_miss_quotes(corpus_path, monkeypatch):
    """The agreement above can fail: a source run led by a digit ends with the
    window's first run, so a table without such runs rules the quote out."""
    kit, path = corpus_path
    monkeypatch.setattr(names, "_NAME", __import__("re").compile(rb"\b[A-Za-z_]\w{3,}"))
    with Snapshot.open(path, kit.trust) as snap:
        got, _ = run(snap, 40)
    assert [text for _, text, _ in got[0]] == [PROSE]  # not from its first word


def test_a_common_whole_name_is_not_asked_of_the_index(corpus_path, monkeypatch):
    """A word that is one name of more than COMMON_BLOBS blobs is COMMON without a
    query: the findings and the unconfirmed counts are those the index gives."""
    from cleanroom.notecheck import corpus as corpus_module
    from cleanroom.notecheck import verbatim

    kit, path = corpus_path
    monkeypatch.setattr(names, "COMMON_BLOBS", 3)  # 'shared' and 'device' become common
    monkeypatch.setattr(corpus_module, "COMMON_BLOBS", 3)
    bodies = [PROSE, "int p3_common_tail; int p4_common_tail; " + PROSE]

    def check() -> tuple[list, int]:
        corpus = SnapshotText(snap)
        try:
            written = [
                WrittenNote(note(i + 1, b), "", "", "", i + 1, None, None, Status.INTACT, False, 1)
                for i, b in enumerate(bodies)
            ]
            got = check_notes(written, corpus, 40)
            return [(plain([c]), c.unconfirmed) for c in got], corpus.queries
        finally:
            corpus.close()

    with Snapshot.open(path, kit.trust) as snap:
        fast, asked_less = check()
        monkeypatch.setattr(verbatim, "_common_name", lambda corpus, word: False)
        slow, asked_more = check()
    assert fast == slow
    assert any(unconfirmed for _, unconfirmed in fast)
    assert asked_less < asked_more
