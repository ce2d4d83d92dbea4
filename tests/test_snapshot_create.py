"""Creating snapshots: complete, exact, deduplicated, indexed, signed, never overwriting."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, key_id, write_private_key, write_public_key
from cleanroom.snapshot import schema
from cleanroom.snapshot.blobs import facts
from cleanroom.snapshot.chunks import SCHEMA_ROWS as CHUNKS_SCHEMA_ROWS
from cleanroom.snapshot.create import CreateError, create_snapshot
from cleanroom.snapshot.manifest import SIGN_DOMAIN, parse, signed_by
from cleanroom.snapshot.presence import SCHEMA_ROWS as PRESENCE_SCHEMA_ROWS
from cleanroom.snapshot.verify import verify_snapshot
from cleanroom.snapshot.walk import WalkError
from tests import hostile_tree as ht
from tests.ledgerkit import seeded_key
from tests.snapshotkit import CREATED, TRUST, VENDOR, make, small_tree

CLEANROOM = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "cleanroom")


def run(*args, timeout=300):
    return subprocess.run([CLEANROOM, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def hostile_snapshot(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("hostile-snap")
    with ht.deadline(120):
        out = make(d, ht.build, name="hostile")
    return d / "src-tree", out


def rows(path: Path, sql: str, params=()):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_every_entry_of_the_hostile_tree_is_a_row(hostile_snapshot):
    src, snap = hostile_snapshot
    expected = ht.independent_walk(src)
    got = dict(rows(snap, "SELECT path, kind FROM files"))
    assert got == expected


def test_file_contents_are_stored_exactly_and_once(hostile_snapshot):
    src, snap = hostile_snapshot
    stored = dict(rows(snap, "SELECT hash, content FROM blobs"))
    files = rows(snap, "SELECT path, blob, size FROM files WHERE kind = 'file'")
    for path, blob, size in files:
        data = (src / os.fsdecode(path)).read_bytes()
        assert stored[blob] == data and size == len(data)
    assert len(stored) == len({b for _, b, _ in files}) < len(files)  # the two copies share


def test_blob_facts_are_recorded(hostile_snapshot):
    _, snap = hostile_snapshot
    for hash_, size, binary, lines, index, content in rows(snap, "SELECT * FROM blobs"):
        f = facts(content)
        assert (hash_, size, bool(binary), lines, index) == (
            f.hash, f.size, f.binary, f.lines, f.line_index)  # fmt: skip
    binary = dict(rows(snap, "SELECT content, binary FROM blobs"))
    assert binary[ht.NUL_CONTENT] == 1 and binary[ht.INVALID_CONTENT] == 0


def test_links_and_skipped_entries_are_recorded(hostile_snapshot):
    _, snap = hostile_snapshot
    links = dict(rows(snap, "SELECT path, target FROM files WHERE kind = 'link'"))
    assert links[b"outside-link"] == ht.OUTSIDE_TARGET and links[b"self"] == b"self"
    skipped = rows(snap, "SELECT path, reason FROM files WHERE kind = 'skipped'")
    assert skipped == [(b"fifo", "not a regular file: named pipe (FIFO)")]


def test_only_text_blobs_are_indexed_and_search_finds_them(hostile_snapshot):
    _, snap = hostile_snapshot
    text = rows(snap, "SELECT rowid FROM blobs WHERE binary = 0 ORDER BY rowid")
    assert rows(snap, "SELECT id FROM search_docsize ORDER BY id") == text
    hits = rows(snap, "SELECT b.content FROM search s JOIN blobs b ON b.rowid = s.rowid"
                " WHERE search MATCH ?", ('"deep down"',))  # fmt: skip
    assert hits == [(b"deep down\n",)]
    assert rows(snap, "SELECT rowid FROM search WHERE search MATCH 'payload'") == []  # binary


def test_the_manifest_is_signed_and_describes_the_tables(hostile_snapshot):
    _, snap = hostile_snapshot
    [(body, sig)] = rows(snap, "SELECT body, sig FROM manifest")
    m = parse(body)
    assert signed_by(body, sig, TRUST[0])
    assert not signed_by(body, VENDOR.sign(body), TRUST[0])  # the domain is required
    assert VENDOR.sign(SIGN_DOMAIN + body) == sig
    assert m.vendor == key_id(TRUST[0]) and m.created == CREATED
    assert (m.name, m.version) == ("hostile", "1.0")
    assert m.entries == rows(snap, "SELECT count(*) FROM files")[0][0]
    assert m.skipped == 1 and m.blobs == rows(snap, "SELECT count(*) FROM blobs")[0][0]
    assert verify_snapshot(snap, TRUST).findings == []


def test_this_sqlite_writes_exactly_the_pinned_schema(hostile_snapshot):
    _, snap = hostile_snapshot
    got = rows(snap, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")
    assert got == schema.EXPECTED_SCHEMA + CHUNKS_SCHEMA_ROWS + PRESENCE_SCHEMA_ROWS
    assert rows(snap, "PRAGMA application_id") == [(schema.APPLICATION_ID,)]
    assert rows(snap, "PRAGMA page_size") == [(schema.PAGE_SIZE,)]


def test_the_output_is_read_only_and_nothing_else_is_left(hostile_snapshot):
    src, snap = hostile_snapshot
    assert stat.S_IMODE(snap.stat().st_mode) == 0o444
    assert sorted(p.name for p in snap.parent.iterdir()) == ["hostile.snapshot", "src-tree"]


def test_same_tree_same_key_same_time_gives_the_same_snapshot(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    first, second = make(a), make(b)
    body = "SELECT body FROM manifest"
    assert rows(first, body) == rows(second, body)
    assert first.read_bytes() == second.read_bytes()


def test_refuses_to_overwrite_and_leaves_no_partial_file(tmp_path):
    out = make(tmp_path)
    before = out.read_bytes()
    with pytest.raises(CreateError, match="already exists"):
        create_snapshot(tmp_path / "src-tree", out, VENDOR, "again", "2")
    assert out.read_bytes() == before
    with pytest.raises(WalkError):
        create_snapshot(tmp_path / "absent", tmp_path / "new.snapshot", VENDOR, "x", "1")
    with pytest.raises(ValueError, match="printable"):
        create_snapshot(tmp_path / "src-tree", tmp_path / "new.snapshot", VENDOR, "a\x1bb", "1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.snapshot", "src-tree"]


def test_refuses_an_output_inside_the_tree(tmp_path):
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    for out in (tmp_path / "tree" / "x.snapshot", tmp_path / "tree" / "sub" / "x.snapshot"):
        with pytest.raises(CreateError, match="outside the tree"):
            create_snapshot(tmp_path / "tree", out, VENDOR, "x", "1")
    assert [p.name for p in (tmp_path / "tree").rglob("*")] == ["sub"]


def test_progress_is_reported_by_phase(tmp_path):
    seen = []
    make(tmp_path, progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases[0] == "read" and "index" in phases and phases[-1] == "seal"
    reads = [p.done for p in seen if p.phase == "read"]
    assert reads == sorted(reads) and reads[-1] == seen[0].total
    indexed = [p for p in seen if p.phase == "index"]
    assert indexed[-1].done == indexed[-1].total > 0


def test_an_empty_tree_is_a_valid_snapshot(tmp_path):
    out = make(tmp_path, lambda root: root)
    report = verify_snapshot(out, TRUST)
    assert report.status.value == "INTACT" and report.manifest.entries == 0
    assert report.manifest.root == hashlib.sha256(b"").hexdigest()


# -- the command line ---------------------------------------------------------------


@pytest.fixture
def vendor_files(tmp_path) -> tuple[Path, Path]:
    key, pub = tmp_path / "vendor.key", tmp_path / "vendor.pub"
    write_private_key(key, VENDOR, role=Role.VENDOR_ROOT)
    write_public_key(pub, VENDOR.public_key(), role=Role.VENDOR_ROOT)
    return key, pub


def test_cli_create_verify_info_round_trip(tmp_path, vendor_files):
    key, pub = vendor_files
    (tmp_path / "tree").mkdir()
    src = small_tree(tmp_path / "tree")
    out = tmp_path / "demo.snapshot"
    made = run("snapshot", "create", src, "-o", out, "--vendor-key", key, "--version", "2.1")
    assert made.returncode == 0, made.stderr
    assert "wrote" in made.stdout and "skipped  pipe: not a regular file" in made.stderr
    ok = run("snapshot", "verify", out, "--trust", pub)
    assert ok.returncode == 0 and f"{out}: INTACT" in ok.stdout
    assert (
        f"id       {json.loads(run('snapshot', 'info', out, '--json').stdout)['snapshot_id']}"
        in (made.stdout)
    )
    doc = json.loads(run("snapshot", "verify", out, "--trust", pub, "--json").stdout)
    assert doc["status"] == "INTACT" and doc["manifest"]["name"] == "tree"
    assert doc["manifest"]["version"] == "2.1" and doc["findings"] == []
    info = run("snapshot", "info", out, "--trust", pub)
    assert info.returncode == 0 and "signature trusted" in info.stdout
    assert "skipped   pipe: not a regular file: named pipe (FIFO)" in info.stdout
    again = run("snapshot", "create", src, "-o", out, "--vendor-key", key)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


def test_cli_create_with_an_encrypted_key_and_a_passphrase_file(tmp_path):
    key, words = tmp_path / "vendor.key", tmp_path / "pass.txt"
    write_private_key(key, VENDOR, b"correct horse", role=Role.VENDOR_ROOT)
    words.write_text("correct horse\n")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "f").write_text("x\n")
    args = ("snapshot", "create", tmp_path / "tree", "--vendor-key", key, "-q")
    made = run(*args, "-o", tmp_path / "a.snapshot", "--passphrase-file", words)
    assert made.returncode == 0, made.stderr
    words.write_text("wrong\n")
    bad = run(*args, "-o", tmp_path / "b.snapshot", "--passphrase-file", words)
    assert bad.returncode == 2 and not (tmp_path / "b.snapshot").exists()


def test_cli_verify_with_another_key_exits_1(tmp_path, vendor_files):
    _, pub = vendor_files
    out = make(tmp_path)
    other = tmp_path / "other.pub"
    write_public_key(other, seeded_key("someone else").public_key(), role=Role.VENDOR_ROOT)
    bad = run("snapshot", "verify", out, "--trust", other)
    assert bad.returncode == 1 and "UNTRUSTED" in bad.stdout
    assert run("snapshot", "verify", out, "--trust", pub).returncode == 0


def test_cli_names_are_shown_sanitized(tmp_path, vendor_files):
    key, _ = vendor_files
    src = tmp_path / "tree"
    src.mkdir()
    os.mkfifo(os.path.join(os.fsencode(src), b"evil\x1b]0;x\x07\xff-fifo"))
    out = run("snapshot", "create", src, "-o", tmp_path / "x.snapshot", "--vendor-key", key)
    assert out.returncode == 0
    assert "\x1b" not in out.stderr and "evil⟨x1B⟩]0;x⟨x07⟩⟨xFF⟩-fifo" in out.stderr


@pytest.mark.parametrize("args", [("create",), ("verify",), ("info",), ()])
def test_every_snapshot_command_has_help(args):
    out = run("snapshot", *args, "--help")
    assert out.returncode == 0 and "Usage:" in out.stdout


def test_cli_usage_problems_exit_2(tmp_path, vendor_files):
    key, pub = vendor_files
    assert run("snapshot", "verify", tmp_path / "absent", "--trust", pub).returncode == 2
    assert run("snapshot", "create", tmp_path / "absent", "-o", tmp_path / "o", "--vendor-key",
               key).returncode == 2  # fmt: skip
    loose = tmp_path / "loose.key"
    write_private_key(loose, VENDOR, role=Role.VENDOR_ROOT)
    loose.chmod(0o644)
    (tmp_path / "t").mkdir()
    out = run("snapshot", "create", tmp_path / "t", "-o", tmp_path / "o", "--vendor-key", loose)
    assert out.returncode == 2 and "chmod 600" in out.stderr
