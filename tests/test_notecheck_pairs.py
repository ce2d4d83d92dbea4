"""The word-pair filter (ADR 0403, 0406): it rules windows out before any index lookup,
and must never rule out one that occurs. Its edges: a window across a line break,
tabs against spaces, Unicode and control whitespace, a word longer than the
window, a window inside one long word, non-ASCII text, invalid UTF-8; and for the
tail and head pairs (ADR 0406), end words that are parts of longer source words,
at a file's start and end, around invalid UTF-8, in empty and one-byte files."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from cleanroom.forensics.cache import directory_key
from cleanroom.forensics.notes import WrittenNote
from cleanroom.ledger.verdict import Status
from cleanroom.notecheck import pairs
from cleanroom.notecheck.check import check_notes
from cleanroom.notecheck.corpus import SnapshotText
from cleanroom.notecheck.names import _mac, cache_path, open_cached
from cleanroom.notecheck.normal import normalise
from cleanroom.snapshot.store import Snapshot
from tests import notecheck_reference as reference
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit
from tests.noteskit import note

LONG = "frob_" + "x" * 70 + "_end"  # one word longer than any window
EDGES = {
    b"lib/wrap.c": b"int alpha_one = beta_two(gamma_three,\n\t\tdelta_four) + epsilon_five;\n",
    b"lib/tabs.c": b"\tif\t(ring_head\t>\tring_tail)\t{\tret\t=\tframe_count;\t}\n",
    b"lib/long.c": b"static const char *table = " + LONG.encode() + b"; return 0;\n",
    b"lib/utf8.c": "int größe = prüfe_länge(wert); /* Größe überprüfen, bevor kopiert wird */\n"
    "a\u00a0nbsp_joined words\u2028line_sep_joined x\u0085nel_joined y\n".encode(),
    b"lib/bad.c": b'char *s = "caf\xe9 na\xefve r\xe9sum\xe9 \x85 \xff\xfe tail_words here";\n',
    b"lib/ctrl.c": b"left_word\x1fright_word\x1cthird_word\x0bfourth_word\x0cfifth_word end\n",
    b"lib/norm.c": b"no_trailing_newline and then some more words at the very end",
    # end words of at least END bytes that are parts of longer source words
    b"lib/ends.c": b"prefix_of_a_long_start_word(arg) = compute\n\t(value);"
    b" return its_final_long_identifier_without_newline",
    b"lib/badend.c": b"\xff\xfeinvalid_start_word\xe9 next words\n\tthen more words"
    b" stop_\xe9\xfftrailing_bytes\n",
    b"lib/empty.c": b"",
    b"lib/one.c": b"x",
}
BODIES = [
    # across the line break, re-indented
    "See: alpha_one = beta_two(gamma_three, delta_four) + epsilon_five; there",
    # tabs in the source, spaces in the note
    "if (ring_head > ring_tail) { ret = frame_count; }",
    # a word longer than the window, alone and inside other text
    LONG,
    "table = " + LONG + "; return",
    # a window inside one long word (its middle only)
    "x" * 45,
    "_" + "x" * 60,
    # non-ASCII, Unicode whitespace re-typed as spaces
    "int größe = prüfe_länge(wert); /* Größe überprüfen, bevor kopiert wird */",
    "a nbsp_joined words line_sep_joined x nel_joined y and more",
    # invalid UTF-8 in the snapshot, as the check decodes it (surrogateescape)
    'char *s = "caf\udce9 na\udcefve r\udce9sum\udce9 \udc85 \udcff\udcfe tail_words here";',
    # the same words as valid UTF-8: not the snapshot's text
    'char *s = "café naïve résumé \x85 ÿþ tail_words here";',
    # control whitespace inside an ASCII file
    "left_word right_word third_word fourth_word fifth_word end",
    "no_trailing_newline and then some more words at the very end",
    # the same words, one pair swapped: ruled out by the filter
    "no_trailing_newline and then some more at words the very end",
    "",
    "x",
    # first and last words only parts of source words
    "_one = beta_two(gamma_three, delta_four) + epsil",
    # ... of at least END bytes (tail and head pairs), across a line break, at the
    # file's start and end (no newline)
    "lpha_one = beta_two(gamma_three, delta_four) + epsilon_fi",
    "of_a_long_start_word(arg) = compute (value); return its_final_long_ident",
    "start_word(arg) = compute (value); return its_final_long_identifier_without_newline",
    # ... around invalid UTF-8, at the file's start and end
    "\udcff\udcfeinvalid_start_word\udce9 next words then more words stop_\udce9\udcfftrai",
    "lid_start_word\udce9 next words then more words stop_\udce9\udcfftrailing_bytes",
    # the same, a tail or head that no source word has: found nowhere
    "zzzzzzzzzzart_word(arg) = compute (value); return its_final_long_ident",
    "of_a_long_start_word(arg) = compute (value); return its_final_long_idzzzzzzzzz",
]


def notes() -> list[WrittenNote]:
    return [
        WrittenNote(note(i + 1, b), "", "", "", i + 1, None, None, Status.INTACT, False, 1)
        for i, b in enumerate(BODIES)
    ]


@pytest.fixture(scope="module")
def edges(tmp_path_factory) -> tuple[Kit, Path]:
    kit = Kit("ncpairs")
    return kit, make_snapshot(kit, tmp_path_factory.mktemp("edges"), files=EDGES)


def plain(checks) -> list:
    return [
        [(f.field, f.text, sorted((p.path, p.line) for p in f.places)) for f in c.fragments]
        for c in checks
    ]


def test_numpy_and_python_hash_every_pair_alike():
    rng = random.Random(403)
    alphabet = [b"a", b"_", b"(", b"\xc3\xa9", b"\xff", b"x", b"\x85", b"Z"]
    words = [b"".join(rng.choices(alphabet, k=rng.randrange(1, 90))) for _ in range(3000)]
    text = b" \t\n".join(words)
    hashes = [pairs.word_hash(w) for w in words]
    got = [int(k) for k in pairs.batch_keys(b"\x1f " + text + b"\r\n")]
    two = [pairs.pair_key(a, b) for a, b in zip(hashes, hashes[1:], strict=False)]
    three = zip(hashes, hashes[1:], hashes[2:], strict=False)
    consecutive = list(zip(words, words[1:], strict=False))
    tails = [pairs.tail_key(a, b) for a, b in consecutive if len(a) > pairs.END]
    heads = [pairs.head_key(a, b) for a, b in consecutive if len(b) > pairs.END]
    threes = list(zip(words, words[1:], words[2:], strict=False))
    tail3 = [pairs.tail_triple_key(a, b, c) for a, b, c in threes if len(a) > pairs.END]
    head3 = [pairs.head_triple_key(a, b, c) for a, b, c in threes if len(c) > pairs.END]
    plain3 = [pairs.triple_key(a, b, c) for a, b, c in three]
    assert got == two + plain3 + tails + heads + tail3 + head3
    assert len(set(got)) > 5900  # words longer than HEAD still differ by length or head
    assert len(tails) > 2000 and len(set(tails) - set(two)) > 2000
    assert len(tail3) > 2000 and len(set(tail3) - set(plain3) - set(tails)) > 2000
    assert len(head3) > 2000 and len(set(head3) - set(plain3) - set(heads)) > 2000
    # a word of exactly END bytes: its tail and head pairs are its plain pair
    exact = b"x" * pairs.END
    assert pairs.tail_key(exact, b"y") == pairs.pair_key(
        pairs.word_hash(exact), pairs.word_hash(b"y")
    )
    assert pairs.head_key(b"y", exact) == pairs.pair_key(
        pairs.word_hash(b"y"), pairs.word_hash(exact)
    )
    # ... and its tail and head triples its plain triple
    plain = pairs.triple_key(*map(pairs.word_hash, (exact, b"y", b"z")))
    assert pairs.tail_triple_key(exact, b"y", b"z") == plain
    plain = pairs.triple_key(*map(pairs.word_hash, (b"y", b"z", exact)))
    assert pairs.head_triple_key(b"y", b"z", exact) == plain


def test_a_notes_windows_are_judged_at_once_as_one_by_one():
    """`gaps` (every window of a note at once, as verbatim.py asks) says what
    `may_hold` says of each window, with a filter neither empty nor full, words
    repeated and words no blob can hold (a lone surrogate)."""
    rng = random.Random(404)
    vocabulary = [
        *("a", "bb", "ring->head", "_x", "é", "\udcff"),  # the source's words
        *("\ud800", "(void)", "z" * 40, "->head", "xring->head", "ring->hea", "ring->headx"),
    ]
    source = [rng.choice(vocabulary[:6]) for _ in range(300)]
    flags = np.zeros(pairs.MIN_BITS, dtype=np.uint8)
    text = " ".join(source).encode("utf-8", "surrogateescape")
    for pos in pairs.positions(pairs.batch_keys(text), pairs.MIN_BITS):
        flags[pos] = 1
    fil = pairs.PairFilter(np.packbits(flags, bitorder="little").tobytes())
    judged = set()
    for _ in range(60):
        words = [rng.choice(vocabulary) for _ in range(rng.randrange(0, 14))]
        gaps = fil.gaps(words)
        for first in range(len(words)):
            for last in range(first, len(words)):
                one = fil.may_hold(words[first : last + 1])
                assert gaps.may_hold(first, last) == one, (words, first, last)
                judged.add(one)
    assert judged == {True, False}


def test_a_notes_words_are_hashed_at_once_as_one_by_one():
    """`_hash_all` (a note's words in one numpy pass, as the build hashes a blob)
    gives what `_hash` gives each word: words shorter than, exactly and longer
    than END and HEAD bytes, not ASCII, bytes that are not UTF-8 (surrogateescape);
    a word no blob can hold (a lone surrogate), an empty word or one with
    whitespace in it sends the whole note word by word, never misaligned."""
    rng = random.Random(408)
    vocabulary = [
        *("a", "bb", "12345678", "x" * 7, "y" * 9, "w" * 32, "v" * 33, "z" * 40),
        *("é", "\udcff", "ring->head", "a\u00a0b", "\x85", "日本語のコード"),
    ]
    odd = ["\ud800", "", " ", "a b", "\t", "c\x1c"]
    fil = pairs.PairFilter(bytes(pairs.MIN_BITS // 8))
    paths = set()
    for _ in range(300):
        words = [rng.choice(vocabulary) for _ in range(rng.randrange(0, 12))]
        if words and rng.random() < 0.3:
            words[rng.randrange(len(words))] = rng.choice(odd)
        h, tail, head, long, unjudged = fil._hash_all(words)
        assert len(h) == len(tail) == len(head) == len(long) == len(unjudged) == len(words)
        for k, word in enumerate(words):
            one = fil._hash(word)
            assert bool(unjudged[k]) == (one is None), words
            if one is not None:
                got = (int(h[k]), int(tail[k]), int(head[k]), bool(long[k]))
                assert got == (one.whole, one.tail, one.head, one.long), (words, k)
        paths.add(any(w in odd for w in words))
    assert paths == {True, False}


@pytest.mark.parametrize(
    "content",
    [
        *(b"", b"x", b" \n\t ", b"one two", b"\xff\xfe \xc3", b"a_long_word", b"a_long_word b\n"),
        *(b"a_long_word b c", b"a b a_long_word", b"a_long_word b a_long_word\n"),
    ],
)
def test_boring_texts_give_the_pairs_they_hold(content):
    words = content.decode("utf-8", "surrogateescape").split()
    keys = pairs.batch_keys(pairs.normal_bytes(content))
    sizes = [len(w.encode("utf-8", "surrogateescape")) for w in words]
    ends = sum(n > pairs.END for n in sizes[:-1])  # tail pairs
    ends += sum(n > pairs.END for n in sizes[1:])  # head pairs
    ends += sum(n > pairs.END for n in sizes[:-2])  # tail triples
    ends += sum(n > pairs.END for n in sizes[2:])  # head triples
    assert keys.size == max(0, len(words) - 1) + max(0, len(words) - 2) + ends


def test_every_pair_of_every_text_is_in_the_filter(edges, tmp_path):
    """No false negatives, pair by pair, through the cache and back."""
    kit, path = edges
    with Snapshot.open(path, kit.trust) as snap:
        for _ in range(2):  # counted, then read from the cache
            corpus = SnapshotText(snap, cache_dir=tmp_path / "cache")
            try:
                assert corpus.pairs is not None
                for _path, raw in reference.text_files(snap):
                    words = normalise(raw).split(" ")
                    for a, b in zip(words, words[1:], strict=False):
                        assert corpus.pairs.may_hold(["<", a, b, ">"]), (a, b)
                    for three in zip(words, words[1:], words[2:], strict=False):
                        assert corpus.pairs.may_hold(["<", *three, ">"]), three
                    # every tail of a first word, every head of a last (ADR 0406)
                    for a, b in zip(words, words[1:], strict=False):
                        for cut in range(1, len(a)):
                            assert corpus.pairs.may_hold([a[cut:], b, "<"]), (a, cut, b)
                        for cut in range(1, len(b)):
                            assert corpus.pairs.may_hold([">", a, b[:cut]]), (a, b, cut)
                    # every tail and head triple (ADR 0407)
                    for a, b, c in zip(words, words[1:], words[2:], strict=False):
                        for cut in range(1, len(a)):
                            assert corpus.pairs.may_hold([a[cut:], b, c, "<"]), (a, cut, b, c)
                        for cut in range(1, len(c)):
                            assert corpus.pairs.may_hold([">", a, b, c[:cut]]), (a, b, c, cut)
            finally:
                corpus.close()
        assert corpus.names_cached


@pytest.mark.parametrize("min_length", [40, 12])
def test_the_fast_check_agrees_with_the_reference_at_the_filters_edges(edges, min_length):
    kit, path = edges
    with Snapshot.open(path, kit.trust) as snap:
        files = reference.text_files(snap)
        want = [[("body", r, p) for r, p in reference.runs(b, files, min_length)] for b in BODIES]
        corpus = SnapshotText(snap)
        try:
            got = plain(check_notes(notes(), corpus, min_length))
        finally:
            corpus.close()
    assert got == want
    # not vacuous: the filter ruled windows out, and the quotes at its edges were found
    assert corpus.ruled_out > 0
    flagged = {i for i, fragments in enumerate(got) if fragments}
    assert {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 15, 16, 17, 18, 19, 20} <= flagged
    assert not [f for i in (21, 22) for f in got[i] if "zzz" in f[1]]  # their later words are
    if min_length == 40:
        assert 9 not in flagged  # valid UTF-8 is not the snapshot's invalid bytes


def test_a_filter_that_trusted_the_end_words_would_miss_quotes(edges, monkeypatch):
    """The agreement above can fail: a window's first and last words may be parts of
    longer source words, so a filter asked about them rules out real quotes."""
    kit, path = edges

    gaps = pairs.PairFilter.gaps

    class TooEager:
        def __init__(self, padded):
            self.padded = padded

        def may_hold(self, first, last):  # the ends as inner words
            return self.padded.may_hold(first, last + 2)

        def may_hold_all(self, first, last):
            return self.padded.may_hold_all(first, last + 2)

    def too_eager(self, words):
        return TooEager(gaps(self, ["", *words, ""]))

    monkeypatch.setattr(pairs.PairFilter, "gaps", too_eager)
    with Snapshot.open(path, kit.trust) as snap:
        corpus = SnapshotText(snap)
        try:
            got = plain(check_notes(notes(), corpus, 12))
        finally:
            corpus.close()
    assert not [f for f in got[15] if f[1].startswith("_one")]  # the real filter finds it


@pytest.mark.parametrize("wrong", ["head for tail", "whole for tail"])
def test_a_filter_that_read_the_wrong_end_bytes_would_miss_quotes(edges, monkeypatch, wrong):
    """The agreement above can fail through the tail and head pairs too: a first word
    of a window is only the end of a source word, so its first END bytes, or the
    whole of it, say nothing of the pair it starts in the source."""
    kit, path = edges
    hash_word = pairs.PairFilter._hash

    def misread(self, word):
        h = hash_word(self, word)
        if h is None:
            return h
        tail = h.head if wrong == "head for tail" else h.whole
        return pairs._Word(h.whole, tail, h.head, h.long)

    hash_all = pairs.PairFilter._hash_all

    def misread_all(self, words):  # as `gaps` hashes a note's words
        h, tail, head, long, unjudged = hash_all(self, words)
        return h, (head if wrong == "head for tail" else h), head, long, unjudged

    monkeypatch.setattr(pairs.PairFilter, "_hash", misread)
    monkeypatch.setattr(pairs.PairFilter, "_hash_all", misread_all)
    with Snapshot.open(path, kit.trust) as snap:
        corpus = SnapshotText(snap)
        try:
            got = plain(check_notes(notes(), corpus, 40))
        finally:
            corpus.close()
    # the real filter finds both from their first words on (test above)
    for i in (17, 20):
        assert not [f for f in got[i] if f[1].startswith(BODIES[i].split()[0])]


def test_the_end_pairs_rule_out_windows_no_inner_pair_can(edges):
    """Three-word windows have no inner pair: only the tail and head pairs judge them."""
    kit, path = edges
    with Snapshot.open(path, kit.trust) as snap:
        corpus = SnapshotText(snap)
        try:
            fil = corpus.pairs
            assert fil is not None
            assert fil.may_hold(["xalpha_one", "=", "beta_two(gamma_three,"])
            assert not fil.may_hold(["zzzzzzzz_one", "=", "beta_two(gamma_three,"])
            assert fil.may_hold(["zzz_one", "=", "beta_two(gamma_three,"])  # 7 bytes: unjudged
            assert not fil.may_hold(["alpha_one", "=", "zzzzzzzzz"])
            assert fil.may_hold(["alpha_one", "=", "beta_two"])
            assert fil.may_hold(["alpha_one", "=", "\ud800zzzzzzzzz"])  # unencodable: unjudged
            gaps = fil.gaps(["zzzzzzzz_one", "=", "beta_two(gamma_three,", "zzzzzzzzz"])
            assert [gaps.may_hold(0, 2), gaps.may_hold(1, 3), gaps.may_hold(0, 1)] == [
                False,
                False,
                True,
            ]
        finally:
            corpus.close()


def test_the_end_triples_rule_out_windows_no_pair_can(edges):
    """A four-word window whose pairs all occur (its inner pair in one file, its tail
    or head pair in another) but whose tail or head triple is in no text (ADR 0407)."""
    kit, path = edges
    with Snapshot.open(path, kit.trust) as snap:
        corpus = SnapshotText(snap)
        try:
            fil = corpus.pairs
            assert fil is not None
            # "alpha_one =" in lib/wrap.c, "= compute" in lib/ends.c
            assert fil.may_hold(["alpha_one", "=", "compute"])
            assert fil.may_hold(["q", "=", "compute", "q"])
            assert not fil.may_hold(["alpha_one", "=", "compute", "q"])
            assert fil.may_hold(["lpha_one", "=", "beta_two(gamma_three,", "q"])  # it occurs
            assert fil.may_hold(["pha_one", "=", "compute", "q"])  # 7 bytes: unjudged
            # "start_word(arg) =" in lib/ends.c, "= beta_two(" in lib/wrap.c
            start = "prefix_of_a_long_start_word(arg)"
            assert fil.may_hold(["q", start, "=", "beta"])
            assert not fil.may_hold(["q", start, "=", "beta_two(gamma"])
            assert fil.may_hold(["q", "alpha_one", "=", "beta_two(gamma"])  # it occurs
            assert fil.may_hold(["q", start, "\ud800", "beta_two(gamma"])  # unjudged
            words = ["alpha_one", "=", "compute", "q", start, "=", "beta_two(gamma"]
            gaps = fil.gaps(words)
            assert [gaps.may_hold(0, 3), gaps.may_hold(3, 6), gaps.may_hold(0, 2)] == [
                False,
                False,
                True,
            ]
        finally:
            corpus.close()


def _rewrite(db: Path, directory: Path, root: bytes, sql: str, *args) -> None:
    """Edit the cached file and give it a valid MAC, as only its owner could."""
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute(sql, args)
    conn.commit()
    conn.close()
    mac = _mac(directory_key(directory), root, db)  # the owner's key (ADR 0308)
    db.with_suffix(".mac").write_bytes(mac)


@pytest.mark.parametrize(
    "edit",
    [
        ("UPDATE pairs SET bits = substr(bits, 1, 1000)",),
        ("UPDATE pairs SET bits = zeroblob(3 * 8192)",),
        ("DELETE FROM pairs",),
        # a filter of pairs only (v2): probing it for triples would rule out quotes
        ("UPDATE facts SET format = ?", b"cleanroom:notecheck-names:v2"),
        # a filter without tail and head pairs (v4): probing it for them would too
        ("UPDATE facts SET format = ?", b"cleanroom:notecheck-names:v4"),
        # ... or without tail and head triples (v5)
        ("UPDATE facts SET format = ?", b"cleanroom:notecheck-names:v5"),
    ],
)
def test_a_filter_of_impossible_shape_is_never_believed(edges, tmp_path, edit):
    kit, path = edges
    directory = tmp_path / "cache"
    with Snapshot.open(path, kit.trust) as snap:
        root = bytes.fromhex(snap.manifest.root)
        SnapshotText(snap, cache_dir=directory).close()
        db = cache_path(directory, root)
        assert open_cached(directory, root) is not None
        _rewrite(db, directory, root, *edit)
        assert open_cached(directory, root) is None
        corpus = SnapshotText(snap, cache_dir=directory)
        corpus.close()
        assert not corpus.names_cached  # counted again


def test_the_filter_is_sized_as_documented():
    assert pairs.size_for(0) == pairs.MIN_BITS
    assert pairs.size_for(10**6) == 1 << 19
    assert pairs.size_for(10**12) == pairs.MAX_BITS
    bits = np.zeros(pairs.MIN_BITS // 8, dtype=np.uint8).tobytes()
    assert not pairs.PairFilter(bits).may_hold(["a", "b", "c", "d"])
    assert pairs.PairFilter(bits).may_hold(["a", "b", "c"])  # one inner word: not judged
    for wrong in (b"", bits[:-1], bits * 3):
        with pytest.raises(ValueError):
            pairs.PairFilter(wrong)


@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_a_large_text_in_pieces_gives_the_keys_it_holds_whole(size):
    """`pieces` bounds the build's memory on a large blob (ADR 0407) and must lose no
    pair or triple across a cut: words longer than a piece, whitespace runs, no
    newline at the end."""
    rng = random.Random(407)
    alphabet = [b"a", b"_", b"(", b"\xc3\xa9", b"x", b"Z"]
    words = [b"".join(rng.choices(alphabet, k=rng.choice([1, 3, 9, 12, 80]))) for _ in range(600)]
    text = b"".join(w + rng.choice([b" ", b"\n\t", b"  \r\n"]) for w in words) + b"end_word"
    parts = list(pairs.pieces(text, size))
    assert len(parts) > (1 if size == 1000 else 50)
    got = set(np.concatenate([pairs.batch_keys(p) for p in parts]).tolist())
    assert got == set(pairs.batch_keys(text).tolist())


@pytest.mark.parametrize(
    "text", [b"", b"x", b" \n ", b"a b", b"a b c", b"a b c d", b" lead trail "]
)
def test_boring_texts_in_pieces_give_their_keys(text):
    parts = list(pairs.pieces(text, 1))
    got = set(np.concatenate([pairs.batch_keys(p) for p in parts] or [[]]).tolist())
    assert got == set(pairs.batch_keys(text).tolist())


def test_a_blob_larger_than_a_batch_is_hashed_in_pieces():
    big = b" ".join(b"w%07d" % i for i in range(pairs.BATCH // 8 + 1000))
    out = list(pairs._batches(iter([b"small one", big, b"small two"]), None))
    assert max(map(len, out)) < pairs.BATCH + 64
    got = set(np.concatenate([pairs.batch_keys(b) for b in out]).tolist())
    assert set(pairs.batch_keys(big).tolist()) <= got
