"""The symbol index (issue 15): built at create time by universal-ctags, sealed
by the manifest, read through `SymbolIndex` (docs/snapshot-format.md §9)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, write_private_key, write_public_key
from cleanroom.snapshot.create import CreateError
from cleanroom.snapshot.manifest import parse
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from cleanroom.snapshot.symbols import ctags
from cleanroom.snapshot.symbols.query import SymbolIndex, SymbolsUnavailable
from cleanroom.snapshot.verify import verify_snapshot
from tests.snapshotkit import TRUST, VENDOR, make, small_tree
from tests.symbolskit import DEFINED, SOURCES, line_of, polyglot_tree

CLEANROOM = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "cleanroom")


@pytest.fixture(scope="module")
def poly(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("poly"), polyglot_tree, name="poly", symbols=True)


@pytest.mark.parametrize("name", sorted(DEFINED))
def test_definitions_in_every_language(poly: Path, name: str) -> None:
    path, start = DEFINED[name]
    with Snapshot.open(poly, TRUST) as snap:
        found = SymbolIndex(snap).definitions(name)
    places = {(s.path, s.line) for s in found.candidates}
    assert (path.encode(), line_of(path, start)) in places, found
    assert found.count >= len(found.candidates) >= 1


def test_outline_is_the_files_definitions_by_line(poly: Path) -> None:
    with Snapshot.open(poly, TRUST) as snap:
        outline = SymbolIndex(snap).outline(b"py/app.py")
    lines = [s.line for s in outline]
    assert lines == sorted(lines)
    names = [s.name for s in outline]
    for name in ("Reader", "read_all", "main"):
        assert name in names
    # every row names something on its own line
    text = SOURCES["py/app.py"].split(b"\n")
    assert all(s.name.encode() in text[s.line] for s in outline)


def test_references_are_whole_word_occurrences_with_a_search_digest(poly: Path) -> None:
    expected = []
    for path in sorted(SOURCES):
        for i, line in enumerate(SOURCES[path].split(b"\n")):
            if re.search(rb"\bReader\b", line):
                expected.append((path.encode(), i))
    with Snapshot.open(poly, TRUST) as snap:
        refs = SymbolIndex(snap).references("Reader")
        hits = [(h.path, h.line) for h in refs.page(0)]
        same = search(snap, Query(r"\bReader\b", regex=True, case=True))
        assert (refs.total(), refs.digest()) == (same.total(), same.digest())
    assert hits == expected and len(expected) == 3


def test_references_refuse_a_name_that_is_not_a_symbol(poly: Path) -> None:
    with Snapshot.open(poly, TRUST) as snap:
        index = SymbolIndex(snap)
        for bad in ("", "a b", "x\x1b[31m", "\ud800", "n" * 201):
            with pytest.raises(SymbolsUnavailable):
                index.references(bad)


def test_quick_open_prefix_first_then_substring(poly: Path) -> None:
    with Snapshot.open(poly, TRUST) as snap:
        index = SymbolIndex(snap)
        got = index.quick_open("ead")  # no name starts with it; read_all contains it
        assert "read_all" in got
        got = index.quick_open("Re")
        assert got[0] == "Reader"
        assert index.quick_open("") == [] and index.quick_open("zzzz") == []
        assert len(index.quick_open("e", limit=3)) == 3


def test_the_signed_index_verifies_and_is_counted(poly: Path) -> None:
    report = verify_snapshot(poly, TRUST)
    assert report.status.value == "INTACT", report.findings
    with Snapshot.open(poly, TRUST) as snap:
        assert SymbolIndex(snap).check() is None
        signed = snap.manifest.symbols
    assert signed is not None and signed.tool.startswith("Universal Ctags")
    assert report.checked["symbols"] == signed.rows >= len(DEFINED)


def test_an_old_snapshot_opens_and_says_symbols_are_unavailable(tmp_path: Path) -> None:
    old = make(tmp_path, small_tree)  # the API's default: no symbol index
    body = parse(_manifest_body(old))
    assert body.symbols is None and b"symbols" not in _manifest_body(old)
    with Snapshot.open(old, TRUST) as snap:
        assert not snap.has_symbols and snap.symbols_problem() is None
        with pytest.raises(SymbolsUnavailable, match="unavailable"):
            SymbolIndex(snap)
    assert verify_snapshot(old, TRUST).status.value == "INTACT"


def _manifest_body(path: Path) -> bytes:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT body FROM manifest").fetchone()[0]
    finally:
        conn.close()


def boring_tree(root: Path) -> Path:
    files = {
        "empty.c": b"",
        "one.c": b"x",
        "no_newline.py": b"def tail():\n    pass",
        "crlf.c": b"int crlf_fn(void)\r\n{\r\n  return 0;\r\n}\r\n",
        "binary.c": b"int hidden_fn(void) { return 0; }\n\x00\x01\x02",
        "latin1.py": b"def caf\xe9():\n    pass\ndef plain():\n    pass\n",
        "huge_line.js": b"function longLine() {}" + b" " * 300_000 + b"\n",
        "README": b"int not_code(void);\n",
        "\x1b[31mred.c": b"int escaped_name(void) { return 1; }\n",
        "nl\nname.go": b"package x\nfunc NewlineFile() {}\n",
    }
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    (root / "link.c").symlink_to("crlf.c")
    return root


def test_boring_and_hostile_files(tmp_path: Path) -> None:
    snap_path = make(tmp_path, boring_tree, name="boring", symbols=True)
    assert verify_snapshot(snap_path, TRUST).status.value == "INTACT"
    with Snapshot.open(snap_path, TRUST) as snap:
        index = SymbolIndex(snap)
        where = lambda name: [(s.path, s.line) for s in index.definitions(name).candidates]  # noqa: E731
        assert where("tail") == [(b"no_newline.py", 0)]
        assert where("crlf_fn") == [(b"crlf.c", 0)]
        assert where("plain") == [(b"latin1.py", 2)]
        assert where("longLine") == [(b"huge_line.js", 0)]
        assert where("hidden_fn") == []  # binary content is not indexed
        assert where("not_code") == []  # no extension, no language
        assert index.outline(b"link.c") == [] and index.outline(b"empty.c") == []
        escaped = index.definitions("escaped_name").candidates
        assert [s.path for s in escaped] == [b"\x1b[31mred.c"]
        assert "\x1b" not in escaped[0].display  # the files table's sanitized form
        assert where("NewlineFile") == [(b"nl\nname.go", 1)]


def _cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([CLEANROOM, *map(str, args)], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.fixture
def vendor_files(tmp_path: Path) -> tuple[Path, Path]:
    key, pub = tmp_path / "vendor.key", tmp_path / "vendor.pub"
    write_private_key(key, VENDOR, role=Role.VENDOR_ROOT)
    write_public_key(pub, VENDOR.public_key(), role=Role.VENDOR_ROOT)
    return key, pub


def test_cli_builds_symbols_by_default_and_verify_exits_1_on_a_tampered_row(
    tmp_path: Path, vendor_files: tuple[Path, Path]
) -> None:
    key, pub = vendor_files
    src = polyglot_tree(tmp_path / "tree")
    out, bare = tmp_path / "with.snapshot", tmp_path / "without.snapshot"
    made = _cli("snapshot", "create", src, "-o", out, "--vendor-key", key, "-q")
    assert made.returncode == 0 and "symbols " in made.stdout, made.stderr
    plain = _cli("snapshot", "create", src, "-o", bare, "--vendor-key", key, "-q", "--no-symbols")
    assert plain.returncode == 0 and "symbols " not in plain.stdout, plain.stderr
    assert _cli("snapshot", "verify", out, "--trust", pub).returncode == 0
    info = _cli("snapshot", "info", out).stdout, _cli("snapshot", "info", bare).stdout
    assert "symbols   " in info[0] and "definitions by Universal Ctags" in info[0]
    assert "symbols   none" in info[1]
    out.chmod(0o644)
    conn = sqlite3.connect(out)
    conn.execute(
        "UPDATE symbols SET line = line + 1"
        " WHERE name = (SELECT id FROM symbol_names WHERE name = 'main')"
    )
    conn.commit()
    conn.close()
    bad = _cli("snapshot", "verify", out, "--trust", pub, "--json")
    doc = json.loads(bad.stdout)
    assert bad.returncode == 1 and doc["status"] == "TAMPERED"
    assert "SYMBOLS" in {f["code"] for f in doc["findings"]}


def test_create_without_ctags_fails_with_exit_2_and_writes_nothing(
    tmp_path: Path, vendor_files: tuple[Path, Path]
) -> None:
    key, _ = vendor_files
    src = polyglot_tree(tmp_path / "tree")
    out = tmp_path / "x.snapshot"
    empty = tmp_path / "bin"
    empty.mkdir()
    made = subprocess.run(
        [CLEANROOM, "snapshot", "create", str(src), "-o", str(out), "--vendor-key", str(key)],
        capture_output=True, text=True, timeout=300, env={"PATH": str(empty)},
    )  # fmt: skip
    assert made.returncode == 2 and "ctags is not installed" in made.stderr, made.stderr
    assert "Traceback" not in made.stderr and not out.exists()
    assert list(tmp_path.glob("*.partial")) == [] and list(tmp_path.glob(".*.partial")) == []


def test_a_ctags_that_hangs_is_stopped_and_create_fails_naming_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real executable named ctags, first on PATH, that says it is universal-ctags
    and then never answers: create stops it at RUN_TIMEOUT (shortened here) and
    fails naming the language, leaving no snapshot and no partial file."""
    fake = tmp_path / "bin" / "ctags"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "Universal Ctags 6.0.0(fake), Copyright"; exit 0; fi\n'
        "exec sleep 120\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(ctags, "RUN_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(CreateError) as raised:
        make(tmp_path, polyglot_tree, name="poly", symbols=True)
    assert time.monotonic() - started < 60  # not the fake's 120 s
    assert re.search(r"ctags did not finish on C files \(\d+ files\) within 1 s", str(raised.value))
    assert not (tmp_path / "poly.snapshot").exists()
    assert list(tmp_path.glob("*.partial")) == [] and list(tmp_path.glob(".*.partial")) == []


def test_the_same_tree_gives_the_same_symbol_digest(tmp_path: Path, poly: Path) -> None:
    again = make(tmp_path, polyglot_tree, name="poly", symbols=True)
    assert _manifest_body(again) == _manifest_body(poly)


def test_a_rare_names_references_read_its_few_candidates_without_the_context_or(
    tmp_path: Path,
) -> None:
    """The first page of a rare name's references waited on the `\\bname` context
    expression (an OR of a hundred terms or more, one index lookup each: most of
    552 ms on the Linux bench) to rule out candidates it could have read instead.
    With few candidates the context is not run; the hits are the same."""
    from cleanroom.snapshot import candidates as cand

    few = getattr(cand, "FEW", 32)

    def tree(root: Path) -> Path:
        (root / "one.c").write_bytes(b"int rare_name_x(void);\nrare_name_x();\n")
        (root / "two.c").write_bytes(b"int prefixrare_name_x;\n")  # the context rules it out
        for i in range(few + 8):
            (root / f"many{i:02}.c").write_bytes(b"common_name_y(%d); xcommon_name_y;\n" % i)
        return root

    snap = make(tmp_path, tree, name="rare")
    conn = sqlite3.connect(f"file:{snap}?mode=ro", uri=True)
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    try:
        for name, rare in (("rare_name_x", True), ("common_name_y", False)):
            plan = Query(rf"\b{name}\b", regex=True, case=True).plan()
            assert plan.index is not None and plan.context is not None
            ran.clear()
            rows = list(cand._narrowed(conn, plan.index, plan.context, frozenset(), lambda: None))
            contexts = [s for s in ran if "MATCH" in s and '" OR "' in s]
            assert (contexts == []) == rare, (name, [s[:150] for s in ran if "MATCH" in s])
            assert len(rows) == (2 if rare else few + 8)
    finally:
        conn.close()
    with Snapshot.open(snap, TRUST) as s:
        hits = search(s, Query(r"\brare_name_x\b", regex=True, case=True))
        assert [(h.path, h.line) for h in hits.page(0)] == [(b"one.c", 0), (b"one.c", 1)]
        assert hits.total() == 2
        hits.close()
