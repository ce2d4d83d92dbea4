"""Search: the same hits as a brute-force reference, in the same order; a stable
digest; cancellation; streaming; hostile patterns and content."""

from __future__ import annotations

import dataclasses
import re
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cleanroom.snapshot.candidates import CHUNK
from cleanroom.snapshot.filehits import BATCH
from cleanroom.snapshot.pathglob import PathFilter
from cleanroom.snapshot.pattern import parse
from cleanroom.snapshot.query import Query, SearchCancelled, SearchError, index_expression
from cleanroom.snapshot.results import MAX_TEXT, Hit, record
from cleanroom.snapshot.search import KEPT, prepare, search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build, digest_of, reference
from tests.snapshotkit import TRUST

FILES = {
    b"README": b"Alpha beta\nGAMMA alpha\n",
    b"src/a.c": b"int alpha(void);\nint main() { return alpha(); }\n",
    b"src/b.c": b"int alpha(void);\nint main() { return alpha(); }\n",  # same blob as a.c
    b"src/zeta/notes.txt": b"alphabet\nno match here",
    b"bin/tool": b"alpha\x00binary",
    b"docs/\xffodd name": b"alpha in a file with a non-UTF-8 name\n",
}


def results(s) -> list[tuple]:
    return [(h.path, h.line, h.spans, h.more_spans) for h in s.hits()]


@pytest.fixture(scope="module")
def snap_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("search"), FILES)


@pytest.fixture
def snap(snap_path):
    with Snapshot.open(snap_path, TRUST) as s:
        yield s


def displays(snapshot: Snapshot) -> dict[bytes, str]:
    return {f.path: f.display for f in snapshot.files()}


# -- agreement with the reference --------------------------------------------------


NAMES = [b"a", b"b", b"a.c", b"b-x", b"A", "é".encode(), b"\xff"]
paths = st.lists(
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=3), min_size=1, max_size=6
).map(lambda parts: [b"/".join(p) for p in parts])
GLOBS = ["*.c", "a", "a/**", "**/b", "b/", "[ab]*", "?", "a/*", "*/a.c", "[!a]*", "**"]


def _tree(names: list[bytes], contents: list[bytes]) -> dict[bytes, bytes]:
    files = {}
    for i, path in enumerate(names):
        files[path] = contents[i % len(contents)]
    # a path cannot be both a file and a directory
    return {p: c for p, c in files.items() if not any(o.startswith(p + b"/") for o in files)}


def _byte_lines(alphabet: list[bytes]) -> st.SearchStrategy[bytes]:
    line = st.lists(st.sampled_from(alphabet), max_size=12).map(b"".join)
    return st.lists(line, max_size=5).map(b"\n".join) | st.lists(line, min_size=1, max_size=5).map(
        lambda ls: b"".join(x + b"\n" for x in ls)
    )


LITERAL_ALPHABET = [b"a", b"b", b"A", b"ab", b"abc", b"ABC", b" ", b"\r", b"\xe9", b"\xff",
                    "é".encode(), b"\x1b[31m", "\u202e".encode(), b"aaa", b"\"", b"\xc3",
                    b"\x80"]  # fmt: skip
TEXT_ALPHABET = ["a", "b", "c", "A", "B", "ab", "abc", "ABC", " ", "\t", "_", "-", "(", "é", "É",
                 "0", "1", "aaa", "\r"]  # fmt: skip


@st.composite
def literal_case(draw):
    contents = draw(st.lists(_byte_lines(LITERAL_ALPHABET), min_size=1, max_size=4))
    files = _tree(draw(paths), contents)
    text = _piece_of(draw, [c.decode("utf-8", "ignore") for c in contents])
    query = Query(
        text,
        case=draw(st.booleans()),
        include=draw(st.lists(st.sampled_from(GLOBS), max_size=2)),
        exclude=draw(st.lists(st.sampled_from(GLOBS), max_size=1)),
    )
    return files, query


ATOMS = ["a", "b", "c", "A", "é", "ab", "abc", "aaa", r"\(", ".", "[ab]", "[^a]", "[a-c]", r"\w",
         r"\d", r"\s", r"\W", r"\b", "^", "$", "[É]", "_", r"\t", "[0-9a-c]", "[a-cA-C_]",
         "b{3}", "(?:ab){2,3}", "[abc]{2}"]  # fmt: skip


def _piece_of(draw, texts: list[str]) -> str:
    """Mostly a piece of one line of the content (so that there are hits), else "abc"."""
    lines = [line for t in texts for line in t.split("\n") if line] or ["abc"]
    line = draw(st.sampled_from(lines))
    i = draw(st.integers(0, len(line) - 1))
    return line[i : i + draw(st.integers(3, 8) | st.integers(1, 2) | st.integers(10, 24))]


def _regex(depth: int = 0) -> st.SearchStrategy[str]:
    atom = st.sampled_from(ATOMS)
    if depth >= 2:
        return atom
    sub = st.deferred(lambda: _regex(depth + 1))
    return st.one_of(
        atom,
        st.lists(sub, min_size=1, max_size=4).map("".join),
        st.tuples(sub, sub).map(lambda t: f"(?:{t[0]}|{t[1]})"),
        st.tuples(sub, st.sampled_from(["*", "+", "?", "{1,2}", "*?", "+?", "{2}"])).map(
            lambda t: f"(?:{t[0]}){t[1]}"
        ),
        sub.map(lambda s: f"(?i:{s})"),
        sub.map(lambda s: f"({s})"),
    )


def _split(piece: str, middle: str) -> str:
    """The piece with `middle` put between its halves (a literal cut in two)."""
    cut = len(piece) // 2
    while cut > 0 and piece[cut - 1] == "\\":
        cut -= 1
    return piece[:cut] + middle + piece[cut:]


@st.composite
def regex_case(draw):
    line = st.lists(st.sampled_from(TEXT_ALPHABET), min_size=1, max_size=10).map("".join)
    content = st.lists(line, max_size=5).map(lambda ls: "\n".join(ls).encode())
    contents = draw(st.lists(content, min_size=1, max_size=4))
    files = _tree(draw(paths), contents)
    piece = re.escape(_piece_of(draw, [c.decode() for c in contents]))
    shapes = [piece, f"{piece}.*", f"\\b{piece}", f"(?:{piece}|zz)x?", f"[ab]+{piece}", f"^{piece}",
              _split(piece, r"[abc]+"), _split(piece, r"\w*"),
              _split(piece, r"[0-9a-c]{1,3}")]  # fmt: skip
    pattern = draw(st.sampled_from(shapes) | _regex())
    query = Query(
        pattern,
        regex=True,
        case=draw(st.booleans()),
        include=draw(st.lists(st.sampled_from(GLOBS), max_size=1)),
    )
    return files, query


def _agrees(files: dict[bytes, bytes], query: Query) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = build(Path(d), files)
        with Snapshot.open(path, TRUST) as snapshot, search(snapshot, query) as s:
            want = reference(files, query, displays(snapshot))
            index = query.plan().index or ""
            event(f"hits: {min(len(want), 3)}; index: {bool(index)}; near: {'NEAR' in index}")
            assert results(s) == want
            assert s.total() == len(want)
            assert s.digest() == digest_of(query, want)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(literal_case())
def test_literal_search_agrees_with_brute_force(case):
    _agrees(*case)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regex_case())
def test_regex_search_agrees_with_brute_force(case):
    _agrees(*case)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(literal_case())
def test_a_literal_finds_what_its_escaped_regex_finds(case):
    import re

    files, query = case
    as_regex = Query(re.escape(query.text), regex=True, case=query.case, include=query.include,
                     exclude=query.exclude)  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as d,
        Snapshot.open(build(Path(d), files), TRUST) as snapshot,
        search(snapshot, query) as a,
        search(snapshot, as_regex) as b,
    ):
        assert results(a) == results(b)


def test_the_fixed_tree(snap):
    s = search(snap, Query("alpha", case=False))
    assert [(h.path, h.line) for h in s.hits()] == [
        (b"README", 0),
        (b"README", 1),
        (b"docs/\xffodd name", 0),
        (b"src/a.c", 0),
        (b"src/a.c", 1),
        (b"src/b.c", 0),
        (b"src/b.c", 1),
        (b"src/zeta/notes.txt", 0),
    ]
    assert s.total() == 8


# -- the result list, pages and digest ---------------------------------------------


def test_hits_come_under_every_path_that_shares_a_blob(snap):
    hits = list(search(snap, Query("main")).hits())
    assert [h.path for h in hits] == [b"src/a.c", b"src/b.c"]
    assert hits[0][2:] == hits[1][2:]  # same line, spans and text


def test_binary_files_are_not_searched(snap):
    assert all(h.path != b"bin/tool" for h in search(snap, Query("alpha")).hits())
    assert search(snap, Query("binary")).total() == 0


def test_a_large_file_with_a_nul_past_its_first_line_is_binary(tmp_path):
    content = b"a\n" + b"x" * 5000 + b"\x00\n" + b"needle\n" * (CHUNK // 7 + 10)
    with Snapshot.open(build(tmp_path, {b"f": content, b"g": b"needle\n"}), TRUST) as snapshot:
        assert snapshot.blob(snapshot.stat(b"f").blob).binary
        assert [h.path for h in search(snapshot, Query("ne+dle", regex=True)).hits()] == [b"g"]


def test_text_after_a_nul_past_the_sniffed_bytes_is_searched(tmp_path):
    # Text (no NUL in the first 8 KiB), but the index stops reading at the NUL.
    content = b"x" * 9000 + b"\n\x00 after\nneedle here\n"
    with Snapshot.open(build(tmp_path, {b"f.txt": content}), TRUST) as snapshot:
        assert not snapshot.blob(snapshot.stat(b"f.txt").blob).binary
        for query in (
            Query("needle"),
            Query(r"\bneedle\b", regex=True),
            Query("NEEDLE", case=False),
        ):
            assert [(h.path, h.line) for h in search(snapshot, query).hits()] == [(b"f.txt", 2)]


def test_prepare_reads_what_searches_share_once_and_changes_no_answer(tmp_path, monkeypatch):
    import cleanroom.snapshot.candidates as candidates_module
    import cleanroom.snapshot.catalog as catalog_module

    content = b"x" * 9000 + b"\n\x00 after\nneedle here\n"
    files = {b"f.txt": content, b"g.c": b"int needle;\n"}
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot:
        prepare(snapshot)
        reads = []
        monkeypatch.setattr(catalog_module, "read_catalog", lambda *a: reads.append(a))
        monkeypatch.setattr(candidates_module, "read_facts", lambda *a: reads.append(a))
        found = [(h.path, h.line) for h in search(snapshot, Query("needle")).hits()]
    assert reads == []  # both were read by prepare, on the snapshot's own connection
    assert found == [(b"f.txt", 2), (b"g.c", 0)]  # 0-based lines


def unindexed(query: Query) -> Query:
    """The same query run without the index: every text blob is read and matched."""
    plan = query.plan()
    object.__setattr__(query, "_plan", dataclasses.replace(plan, index=None, context=None))
    return query


def _context_tree() -> dict[bytes, bytes]:
    """malloc after every byte value, after characters of every UTF-8 length, and
    after broken ones; at the start of a file and of a line; and files where it only
    follows word characters (which a word boundary rules out)."""
    files = {}
    for b in range(256):
        before = bytes([b])
        if b == 0:  # a NUL past the sniffed bytes: still text
            before = b"x" * 9000 + b"\n\x00"
        files[b"byte/%03d" % b] = b"int a;\n" + before + b"malloc(1);\n" + b"k" * b
    more = {
        b"start": b"malloc(2);\n",
        b"line-start": b"x\nmalloc (3)\n",
        b"two-bytes": "émalloc(4)\n".encode(),
        b"three-bytes": "\u202emalloc(5)\n".encode(),
        b"four-bytes": "\U0001f600malloc(6)\n".encode(),
        b"lone-lead": b"\xc3malloc(7)\n",
        b"cut-short": b"\xe2\x80malloc(8)\n",
        b"stray-then-ascii": b"\xb5malloc(9)\n\xe9t\xe9\n",
        b"paren": b"x(malloc(10)\n",
        b"space-paren": b" (malloc(11)\n",
        b"upper": b"=MALLOC(12)\n",
    }
    files.update({b"misc/" + k: v for k, v in more.items()})
    files.update(
        {b"only-words/%02d" % i: b"kmalloc(1); vmalloc (2); __malloc(3)\n" for i in range(5)}
    )
    return files


@pytest.fixture(scope="module")
def context_snap(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("context"), _context_tree())


@pytest.mark.parametrize(
    "pattern",
    [r"\bmalloc\s*\(", r"\bmalloc", r"^malloc", r"(?i)\bMALLOC\(", r"\b\(malloc",
     r"\bmalloc|\bfree", r"(?:\bmall|xmall)oc", r"\b(?:malloc|kmalloc)\(", r"^\s*malloc",
     r"\Amalloc", r"=?\bmalloc"],
)  # fmt: skip
def test_context_narrows_the_index_without_losing_a_hit(context_snap, pattern):
    with Snapshot.open(context_snap, TRUST) as snapshot:
        for case in (True, False):
            query = Query(pattern, regex=True, case=case)
            want = results(search(snapshot, unindexed(Query(pattern, regex=True, case=case))))
            assert results(search(snapshot, query)) == want, (pattern, case)


LONG_LINES = [
    'say "hi there" to aaaaaaaaaaaaaaaa and spin_lock_irqsave(&x, flags);',
    "tête-à-tête \u202e reversed écrit ÉCRIT, 1234567890123 _lock(x)",
    "ababababababab abcabcabcabcab x_y_z_x_y_z_x_y",
]


def test_long_literals_are_found_through_the_index_as_without_it(tmp_path):
    # Literals of 10 or more characters are looked up as NEAR groups of trigrams.
    files = {b"a": "\n".join(LONG_LINES).encode(), b"b": LONG_LINES[0][::-1].encode()}
    files[b"c"] = b"\xff\xc3" + LONG_LINES[1].encode()[:-1] + b"\xa9\n"
    nears = 0
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot:
        for line in LONG_LINES:
            for size in (10, 11, 12, 17, 25):
                for start in range(0, len(line) - size, 3):
                    for case in (True, False):
                        query = Query(line[start : start + size], case=case)
                        nears += "NEAR(" in (query.plan().index or "")
                        want = results(search(snapshot, unindexed(Query(query.text, case=case))))
                        assert results(search(snapshot, query)) == want, query.text
                        assert want, query.text
    assert nears > 200


def test_a_word_boundary_rules_out_files_where_the_word_only_ends_others(context_snap):
    with Snapshot.open(context_snap, TRUST) as snapshot:
        assert Query(r"\bmalloc", regex=True).plan().context is not None
        loose, narrow = (
            search(snapshot, Query("malloc")),
            search(snapshot, Query(r"\bmalloc", regex=True)),
        )
        loose.total(), narrow.total()
        paths = {h.path for h in loose.hits()} - {h.path for h in narrow.hits()}
        assert {p for p in paths if p.startswith(b"only-words/")} == {
            b"only-words/%02d" % i for i in range(5)
        }
        assert narrow.progress.files < loose.progress.files - 5  # never read, not just no hits


def test_line_numbers_and_text_are_the_viewers(snap):
    for h in search(snap, Query("a", case=False)).hits():
        blob = snap.stat(h.path).blob
        assert snap.read_lines(blob, h.line, h.line + 1) == [h.text]


def test_pages_partition_the_stream(snap):
    s = search(snap, Query("a"))
    everything = list(s.hits())
    pages = [s.page(n, size=3) for n in range(5)]
    assert sum(pages, []) == everything
    assert s.page(99) == []
    assert s.total() == len(everything)
    assert s.done


def test_the_digest_is_stable_and_documented(snap_path):
    query = Query("alpha", include=["src/**", "README"])
    with Snapshot.open(snap_path, TRUST) as one, Snapshot.open(snap_path, TRUST) as two:
        a, b = search(one, query), search(two, query)
        assert a.digest() == b.digest() == search(one, query).digest()
        assert a.digest() == digest_of(query, results(a))
        assert search(one, Query("alpha", case=False)).digest() != a.digest()


def test_the_digest_changes_when_a_file_changes(tmp_path, snap_path):
    changed = build(tmp_path, {**FILES, b"src/zeta/notes.txt": b"alphabet\nalpha too"})
    query = Query("alpha")
    with Snapshot.open(snap_path, TRUST) as old, Snapshot.open(changed, TRUST) as new:
        assert search(old, query).digest() != search(new, query).digest()
        assert search(old, Query("GAMMA")).digest() == search(new, Query("GAMMA")).digest()


def test_record_layout():
    from cleanroom.snapshot.results import Hit

    hit = Hit(b"p", "p", 7, ((1, 2), (3, 4)), True, b"", 0, 0)
    spans = bytes.fromhex("00000007 00000002 00000001 00000002 00000003 00000004")
    assert record(hit) == b"H\x00\x00\x00\x01p" + spans + b"\x01"


def test_query_json_is_what_the_digest_names():
    q = Query("x", regex=True, case=False, include=["a"], exclude=["b"])
    assert q.to_json() == {"text": "x", "regex": True, "case": False, "include": ["a"],
                           "exclude": ["b"]}  # fmt: skip


# -- cancellation and threads ----------------------------------------------------------


def test_cancel_stops_every_call_that_needs_more_work(snap):
    s = search(snap, Query("a"))
    first = s.page(0, size=2)
    it = s.hits()
    next(it)
    s.cancel()
    with pytest.raises(SearchCancelled):
        next(it)
    for call in (s.total, s.digest, lambda: s.page(1, size=2), s.hits):
        with pytest.raises(SearchCancelled):
            call()
    assert s.page(0, size=2) == first  # what was found stays readable


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Path:
    """Many files with a line in each that only a scan can find (no literal)."""
    files = {f"d{i // 100}/f{i}.txt".encode(): b"x\n" * 200 + b"q1 q2\n" for i in range(1500)}
    return build(tmp_path_factory.mktemp("wide"), files)


def test_cancel_from_another_thread_stops_the_worker_at_its_next_hit(wide):
    with Snapshot.open(wide, TRUST) as snapshot:
        s = search(snapshot, Query(r"q\d q\d", regex=True))  # no literal: a full scan
        first, go = threading.Event(), threading.Event()
        outcome: list[object] = []

        def worker():
            it = s.hits()
            outcome.append(next(it).path)
            first.set()
            go.wait(10)
            try:
                outcome.append(next(it))
            except SearchCancelled as exc:
                outcome.append(exc)

        t = threading.Thread(target=worker)
        t.start()
        assert first.wait(30)
        s.cancel()
        go.set()
        t.join(10)
        assert not t.is_alive()
        assert outcome[0] == b"d0/f0.txt" and isinstance(outcome[1], SearchCancelled)


def test_cancel_during_a_total_is_prompt(wide):
    with Snapshot.open(wide, TRUST) as snapshot:
        s = search(snapshot, Query(r"q\d q\d", regex=True))
        outcome: list[object] = []

        def worker():
            try:
                outcome.append(s.total())
            except SearchCancelled as exc:
                outcome.append(exc)

        t = threading.Thread(target=worker)
        t.start()
        deadline = time.monotonic() + 30
        while s.progress.files < 20 and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.001)
        s.cancel()
        t.join(5)
        assert not t.is_alive()
        # Cancelled part way, or (on a fast machine) finished before the cancel arrived.
        assert isinstance(outcome[0], SearchCancelled) or outcome[0] == 1500
        with pytest.raises(SearchCancelled):
            s.digest()


def test_pages_and_totals_from_different_worker_threads(wide):
    with Snapshot.open(wide, TRUST) as snapshot:
        s = search(snapshot, Query("q1"))
        got: dict[str, object] = {}
        threads = [
            threading.Thread(target=lambda: got.setdefault("page", s.page(1))),
            threading.Thread(target=lambda: got.setdefault("total", s.total())),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert got["total"] == 1500
        assert [h.path for h in got["page"]] == [h.path for h in list(s.hits())[100:200]]


def test_pages_past_the_kept_hits_are_found_again(wide, monkeypatch):
    import cleanroom.snapshot.search as mod

    monkeypatch.setattr(mod, "KEPT", 250)
    with Snapshot.open(wide, TRUST) as snapshot:
        s = search(snapshot, Query("q2"))
        assert [h.path for h in s.page(3)] == [h.path for h in list(s.hits())[300:400]]
        assert s.total() == 1500
        assert len(s.page(14)) == 100 and s.page(15) == []
    assert KEPT >= 10 * 100


def test_hits_past_the_kept_ones_count_in_the_digest_alike(tmp_path, monkeypatch):
    # Past KEPT, the primary pass makes only what the digest reads of a hit.
    import cleanroom.snapshot.search as mod

    lines = [b"ab ab ab\n", b"x ab\n", b"ab" * 120 + b"\n", b"y\n"] * 60
    files = {b"f%d" % i: b"".join(lines[i:]) for i in range(4)}
    query = Query("ab")
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot:
        want = reference(files, query, displays(snapshot))
        monkeypatch.setattr(mod, "KEPT", 37)
        s = search(snapshot, query)
        assert s.total() == len(want) and s.digest() == digest_of(query, want)
        assert results(s) == want and [h.path for h in s.page(0, 37)] == [w[0] for w in want[:37]]
        assert all(isinstance(h, Hit) and h.text for h in s.page(0, 37))


# -- streaming ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_first_page_of_a_million_hits_reads_little(tmp_path):
    lines = 1_000_000
    path = build(tmp_path, {b"big.txt": b"x = abc(1);\n" * lines})
    with Snapshot.open(path, TRUST) as snapshot:
        for query in (Query("abc"), Query(r"ab[c]\(\d", regex=True)):
            s = search(snapshot, query)
            first = s.page(0)
            assert [h.line for h in first] == list(range(100))
            assert s.progress.hits <= 100 + BATCH  # hits are made a few at a time, as asked
            assert s.progress.bytes <= CHUNK  # one chunk of 12 MB read, not the file
            assert not s.done
        assert s.total() == lines
        assert s.progress.bytes == 12 * lines


# -- hostile patterns and content ------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    files = {
        b"aaaa": b"a" * 30_000 + b"b\n" + b"x" * 3000 + b"\n",
        b"escapes": b"\x1b[2J\x1b]0;owned\x07 evil \xe2\x80\xae reversed\n",
        b"long": b"y" * 5_000_000 + b" needle " + b"\xc3\xa9" * 600 + b"\n",
        b"broken": b"ok \xff\xfe a\xffb needle\n",
    }
    return build(tmp_path_factory.mktemp("hostile"), files)


@pytest.mark.parametrize(
    "pattern", [r"(a+)+$", r"(a|aa)+$", r"(x+x+)+y", r"(.*a){12}", r"(?:a*)*b", r"((a?){30}a{30})"]
)
def test_catastrophic_patterns_finish(hostile, pattern):
    with Snapshot.open(hostile, TRUST) as snapshot:
        s = search(snapshot, Query(pattern, regex=True))
        done: list[int] = []
        t = threading.Thread(target=lambda: done.append(s.total()))
        t.start()
        t.join(60)  # generous: RE2 takes milliseconds; backtracking would take years
        alive = t.is_alive()
        s.cancel()
        assert not alive and done


@pytest.mark.parametrize(
    "text, message",
    [
        ("(", "missing )"),
        ("[a-", "unterminated character set"),
        ("a{2,1}", "min repeat greater than max"),
        (r"(a)\1", "backreferences are not supported"),
        (r"(?=a)", "lookahead and lookbehind"),
        (r"(?<!a)b", "lookahead and lookbehind"),
        ("(a)(?(1)b|c)", "conditional groups are not supported"),
        ("a++", "possessive"),
        ("(?>a)", "atomic groups"),
        ("x{1001}", "above 1000"),
        ("(?u)x", "ASCII and UNICODE"),
        ("((((a{100}){100}){100}){100})", "too large"),
        ("a" * 1001, "longer than 1000"),
        ("", "empty"),
        ("(" * 400 + ")" * 400, "nested too deeply"),
    ],
)
def test_bad_patterns_are_refused_clearly(text, message):
    with pytest.raises(SearchError, match=re.escape(message)):
        Query(text, regex=True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": ""}, "empty"),
        ({"text": "a\nb"}, "line break"),
        ({"text": "\ud800"}, "not valid text"),
        ({"text": "a", "include": ["[a"]}, "unclosed"),
        ({"text": "a", "include": ["[z-a]"]}, "bad range"),
        ({"text": "a", "exclude": "*.c"}, "list of glob"),
        ({"text": "a", "include": ["/"]}, "empty path glob"),
        ({"text": 3}, "must be text"),
    ],
)
def test_bad_queries_are_refused_clearly(kwargs, message):
    with pytest.raises(SearchError, match=message):
        Query(**kwargs)


def test_hostile_content_comes_back_raw(hostile):
    with Snapshot.open(hostile, TRUST) as snapshot:
        (hit,) = search(snapshot, Query("evil")).hits()
        assert hit.text == b"\x1b[2J\x1b]0;owned\x07 evil \xe2\x80\xae reversed"
        assert not hit.truncated


def test_a_long_line_is_cut_around_the_match(hostile):
    with Snapshot.open(hostile, TRUST) as snapshot:
        hits = list(search(snapshot, Query("needle", include=["long"])).hits())
        (hit,) = hits
        assert hit.truncated and len(hit.text) <= MAX_TEXT
        assert hit.line_size == 5_000_000 + 8 + 1200
        assert hit.spans == ((5_000_001, 5_000_007),)
        ((s, e),) = hit.text_spans()
        assert hit.text[s:e] == b"needle"
        hit.text.decode("utf-8")  # cut at character boundaries


def test_invalid_utf8_bytes_match_literally_but_not_as_characters(hostile):
    with Snapshot.open(hostile, TRUST) as snapshot:
        count = lambda text, **kw: search(snapshot, Query(text, **kw)).total()  # noqa: E731
        assert count("needle", include=["broken"]) == 1
        assert count("a\ufffdb") == 0  # U+FFFD is not the byte it replaces
        assert count(r"ok .. a", regex=True) == 0  # '.' is a character, never a stray byte
        assert count(r"a.b", regex=True, include=["broken"]) == 0
        (hit,) = search(snapshot, Query(r"b needle$", regex=True)).hits()
        assert hit.spans == ((8, 16),)


def test_many_matches_in_a_line_are_capped(tmp_path):
    path = build(tmp_path, {b"f": b"ab" * 1000 + b"\n"})
    with Snapshot.open(path, TRUST) as snapshot:
        for query in (Query("ab"), Query("a(b)", regex=True)):
            (hit,) = search(snapshot, query).hits()
            assert len(hit.spans) == 100 and hit.more_spans
            assert hit.spans[-1] == (198, 200)


# -- the pieces: globs, literals, the index expression --------------------------------


@pytest.mark.parametrize(
    "glob, yes, no",
    [
        ("*.c", ["a.c", "x/y/z.c", "a.c/inner"], ["a.h", "c"]),
        ("src/*.c", ["src/a.c"], ["lib/src/a.c", "src/x/a.c"]),
        ("/src", ["src/a", "src"], ["x/src/a"]),
        ("drivers/net", ["drivers/net/a.c"], ["drivers/network/a.c"]),
        ("**/Kconfig", ["Kconfig", "a/b/Kconfig"], ["Kconfig.x"]),
        ("a/**/b", ["a/b", "a/x/y/b", "a/b/c"], ["x/a/b"]),
        ("a/**", ["a/x", "a/x/y"], ["a", "b/a/x"]),
        ("build/", ["build/x", "x/build/y"], ["build", "x/build"]),
        ("[!a]*", ["b", "x/ab"], ["a", "ab"]),
        ("?", ["a", "x/b"], ["ab"]),
        (r"\*", ["*"], ["a"]),
        ("é*", ["été"], ["ete"]),
        ("**", ["a", "a/b"], []),
    ],
)
def test_path_globs(glob, yes, no):
    selects = PathFilter((glob,), ())
    assert [p for p in yes if not selects(p)] == []
    assert [p for p in no if selects(p)] == []
    from tests.searchkit import glob_matches

    if "\\" not in glob:  # the reference knows no escapes
        assert all(glob_matches(glob, p) for p in yes)
        assert not any(glob_matches(glob, p) for p in no)


def test_exclude_wins():
    selects = PathFilter(("src/**",), ("*.h",))
    assert selects("src/a.c") and not selects("src/a.h") and not selects("lib/a.c")


def test_a_hostile_glob_is_linear():
    selects = PathFilter(("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",), ())
    t = time.perf_counter()
    assert not selects("a" * 4000)
    assert time.perf_counter() - t < 5


HEX = b"0123456789abcdef"
HEX_DASH_HEX = {(bytes([a, 45, b]), False) for a in HEX for b in HEX}


@pytest.mark.parametrize(
    "pattern, case, want",
    [
        (r"\bmalloc\s*\(", True, [{(b"malloc", False)}]),
        ("(foo|bar)baz", True, [{(b"foobaz", False), (b"barbaz", False)}]),
        ("colou?r", True, [{(b"color", False), (b"colour", False)}]),
        ("(?i)Struct", True, [{(b"struct", True)}]),
        ("abc", False, [{(b"abc", True)}]),
        ("a(?i:BCD)e", True, [{(b"abcde", True)}]),
        ("qq(abc.x)", True, [{(b"qqabc", False)}]),  # implies abc, which adds nothing
        # codesearch-style: what straddles a join, small classes, prefixes and suffixes
        (r"foo\w+bar", True, [{(b"foo", False)}, {(b"bar", False)}]),
        (
            r"x(ab|cd)+y",
            True,
            [{(b"xab", False), (b"xcd", False)}, {(b"aby", False), (b"cdy", False)}],
        ),  # fmt: skip
        (
            r"ab[0-3]+cd",
            True,
            [{(b"ab%d" % i, False) for i in range(4)}, {(b"%dcd" % i, False) for i in range(4)}],
        ),  # fmt: skip
        (r"0x[0-9a-f]{8}", True, [{(b"0x" + bytes([ch]), False) for ch in b"0123456789abcdef"}]),
        (r"(?i)ab\d?c", True, [{(b"abc", True)} | {(b"ab%dc" % i, True) for i in range(10)}]),
        # hex-dash-hex: 256 trigrams, a clause (ADR 0118); 36 x 36 are more than a clause
        (r"[0-9a-f]{8}-[0-9a-f]{4}", True, [HEX_DASH_HEX]),
        (r"[0-9a-z]{8}-[0-9a-z]{4}", True, []),
        (r"\b[A-Z]{2}\d{4}\b", True, []),
        ("a.*b", True, []),
        ("(abc|d)", True, []),
        ("(abc)+", True, [{(b"abc", False)}]),
        ("abc\ndef", True, [{(b"abc", False)}, {(b"def", False)}]),
    ],
)
def test_required_literals(pattern, case, want):
    got = [{(lit.text, lit.folded) for lit in clause} for clause in parse(pattern, case).required]
    assert sorted(got, key=sorted) == sorted(want, key=sorted)


SOUND_ATOMS = [*ATOMS, "x", "xy", "[xy]", "[0-9]", "(?:a|bc)", "c+", "[a-f]{2,4}", "é?"]


def _sound_regex(depth: int = 0) -> st.SearchStrategy[str]:
    atom = st.sampled_from(SOUND_ATOMS)
    if depth >= 3:
        return atom
    sub = st.deferred(lambda: _sound_regex(depth + 1))
    return st.one_of(
        atom,
        st.lists(sub, min_size=1, max_size=5).map("".join),
        st.tuples(sub, sub).map(lambda t: f"(?:{t[0]}|{t[1]})"),
        st.tuples(sub, st.sampled_from(["*", "+", "?", "{1,2}", "{2}", "{3,}", "{4}"])).map(
            lambda t: f"(?:{t[0]}){t[1]}"
        ),
        sub.map(lambda s: f"(?i:{s})"),
    )


SOUND_TEXT = [*TEXT_ALPHABET, "x", "y", "f", "9", "C"]


@st.composite
def _matching(draw) -> tuple[str, str]:
    """A line, and a pattern made from a piece of it (classes that hold its characters,
    optional and repeated parts, gaps, alternatives), so that most patterns match."""
    line = draw(st.lists(st.sampled_from(SOUND_TEXT), min_size=1, max_size=14).map("".join))
    i = draw(st.integers(0, len(line) - 1))
    piece = line[i : i + draw(st.integers(3, 9) | st.integers(1, 2))]
    parts = []
    for ch in piece:
        e = re.escape(ch)
        kind = draw(st.sampled_from(["lit", "lit", "lit", "class", "any", "opt", "rep", "gap"]))
        if kind == "lit":
            parts.append(e)
        elif kind == "class":
            parts.append(f"[{e}{draw(st.sampled_from(['a-c', '0-9', 'xy', '_', 'A-F']))}]")
        elif kind == "any":
            parts.append(".")
        elif kind in ("opt", "rep"):
            parts.append(f"(?:{e}){'?' if kind == 'opt' else draw(st.sampled_from('+*'))}")
        else:
            parts.append(e + draw(st.sampled_from([r"\w*", "[abc]*", ".?", r"\d*", "x{0,2}"])))
    pattern = "".join(parts)
    if draw(st.booleans()):
        pattern = f"(?i:{pattern})"
    if draw(st.booleans()):
        pattern = f"(?:{pattern}|{draw(_sound_regex(2))})"
    return pattern, line


@settings(max_examples=1500, deadline=None)
@given(_matching() | st.tuples(_sound_regex(), st.lists(st.sampled_from(SOUND_TEXT),
                                                        max_size=14).map("".join)))  # fmt: skip
def test_every_match_holds_a_literal_of_every_required_clause(case):
    pattern, line = case
    try:
        parsed = parse(pattern, True)
    except ValueError:
        return
    m = re.search(pattern, line, re.ASCII)
    if m is None:
        return
    found = m.group().encode()
    for clause in parsed.required:
        event(f"clauses: {min(len(parsed.required), 3)}")
        assert any((lit.text in found.lower()) if lit.folded else (lit.text in found)
                   for lit in clause), (pattern, line, clause)  # fmt: skip


def test_index_expression_is_quoted_and_safe():
    expr = index_expression(parse('say "hi"|x\x00yzw|tête', True).required)
    assert expr == '("say ""hi""" OR "tête" OR "yzw")'  # NUL splits; quotes double
    assert index_expression(parse("ab", True).required) is None  # too short for trigrams
    assert index_expression(parse("été", True).required) is None  # ends in é: not reliable
    assert index_expression(parse("(abc|defg.*hij)", True).required) == (
        '("abc" OR "defg") AND ("abc" OR "hij")'
    )


def test_the_documented_digest_example():
    from cleanroom.snapshot.results import Hit, ResultDigest, header

    doc = (Path(__file__).parents[1] / "docs/snapshot-format.md").read_text()
    query = Query("ab", case=False)
    digest = ResultDigest(query.to_json())
    digest.add(Hit(b"src/x.c", "src/x.c", 2, ((4, 6),), False, b"", 0, 0))
    digest.add(Hit(b"src/y.c", "src/y.c", 0, ((0, 2), (3, 5)), False, b"", 0, 0))
    assert header(query.to_json()).decode() in doc
    assert digest.finish() in doc


def test_the_direct_re2_call_agrees_with_the_public_wrapper():
    from cleanroom.snapshot.linematch import RegexMatcher

    rx = Query(r"(?i)\bab*|^$|x?", regex=True).plan().matcher.rx

    class Public:  # the wrapper only: no compiled object to call directly
        search = rx.search

    data = b"ab abbb\n\nxAB\xc3\xa9x\nlast"
    direct, public = RegexMatcher(rx, None), RegexMatcher(Public(), None)
    assert list(direct.lines(data)) == list(public.lines(data))
    assert list(direct.lines(data))[0] == (0, 7, ((0, 2), (2, 2), (3, 7), (7, 7)), False)


@given(st.lists(st.integers(1, 12), max_size=30), st.sets(st.integers(1, 12)))
def test_the_index_answer_is_merged_into_path_order_whatever_the_rowids(rowids, answer):
    from cleanroom.snapshot.catalog import Catalog as _Catalog

    catalog = _Catalog.of((b"%05d" % i, r) for i, r in enumerate(rowids))
    rows = [(r, "content of", r) for r in sorted(answer)]
    got = list(catalog.in_path_order(iter(rows)))
    assert [i for i, _ in got] == [i for i, r in enumerate(rowids) if r in answer]
    for i, row in got:
        assert row[0] == rowids[i] and row in ((rowids[i],), (rowids[i], "content of", rowids[i]))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"a", b"A", b"q", b"Q", b"b", b"ab", b"qa", b"\n", b"\xe9", b"\xc9"])
    ).map(b"".join),
    st.lists(st.sampled_from([b"a", b"A", b"q", b"b", b"\xe9"]), min_size=1, max_size=5).map(
        b"".join
    ),
    st.booleans(),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(1, 8),
)
def test_the_literal_finder_finds_what_bytes_find_finds(data, text, folded, pos, end, window):
    import cleanroom.snapshot.literalscan as scan

    data = data * 3
    end = min(len(data), pos + end)
    old = scan.WINDOW
    scan.WINDOW = window  # the window is short here, so both ways are taken
    try:
        got = scan.Finder(text, folded).find(data, pos, end)
    finally:
        scan.WINDOW = old
    hay, needle = (data.lower(), text.lower()) if folded else (data, text)
    assert got == hay.find(needle, pos, end)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"a", b"A", b"q", b"qa", b"b", b"\n", b"\xe9", b"ab\n"])).map(
        b"".join
    ),
    st.lists(st.sampled_from([b"a", b"A", b"q", b"b", b"\xe9"]), min_size=1, max_size=4).map(
        b"".join
    ),
    st.booleans(),
    st.integers(1, 6),
)
def test_the_literal_matcher_agrees_with_a_plain_scan_whatever_its_window(data, text, case, window):
    import cleanroom.snapshot.linematch as linematch

    data = data * 4
    old = linematch.WINDOW
    linematch.WINDOW = window  # short, so the rare-byte scan and the window both run
    try:
        got = list(linematch.LiteralMatcher(text, case).lines(data))
    finally:
        linematch.WINDOW = old
    hay, needle = (data, text) if case else (data.lower(), text.lower())
    want = []
    for start, line in zip(_starts(hay), hay.split(b"\n"), strict=False):
        spans, p = [], 0
        while (i := line.find(needle, p)) >= 0:
            spans.append((i, i + len(needle)))
            p = i + len(needle)
        if spans:
            more = len(spans) > 100
            want.append((start, start + len(line), tuple(spans[:100]), more))
    assert got == want


def _starts(data: bytes) -> list[int]:
    starts, p = [0], 0
    while (i := data.find(b"\n", p)) >= 0:
        starts.append(i + 1)
        p = i + 1
    return starts
