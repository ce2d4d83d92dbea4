"""Deterministic snapshots for tests, and tools that edit them as an attacker would.

Edits happen on an in-memory copy (`sqlite3.Connection.deserialize`), so a sweep
over hundreds of tampered variants stays fast and never touches the original.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.ledger.keys import key_id, raw_public
from cleanroom.snapshot.chunks import digest as chunks_digest
from cleanroom.snapshot.chunks import read_rows as read_chunk_rows
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.index import index_digest
from cleanroom.snapshot.leaf import LEAF_COLUMNS, row_leaf_hash
from cleanroom.snapshot.manifest import Chunks, Index, Symbols, parse
from cleanroom.snapshot.merkle import root
from cleanroom.snapshot.symbols.table import has_table, symbols_digest
from tests.ledgerkit import seeded_key

VENDOR = seeded_key("snapshot/vendor")
TRUST = [raw_public(VENDOR)]
CREATED = 1_790_000_000


def small_tree(root_dir: Path) -> Path:
    """A small but complete tree: every kind of entry, shared content, binary, text."""
    files = {
        "README.md": b"# Demo\n\nA small project.\n",
        "src/main.c": b'#include <stdio.h>\nint main(void) {\n  puts("hi");\n  return 0;\n}\n',
        "src/util.c": b"int add(int a, int b) { return a + b; }\n",
        "src/copy.c": b"int add(int a, int b) { return a + b; }\n",
        "src/deep/er/leaf.txt": b"leaf\n",
        "data/blob.bin": b"\x00\x01\x02\x03" * 64,
        "data/empty": b"",
        "notes.txt": b"first\nsecond\r\nthird",
    }
    for rel, data in files.items():
        p = root_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (root_dir / "empty-dir").mkdir()
    os.symlink("src/main.c", root_dir / "link-to-main")
    os.mkfifo(root_dir / "pipe")
    return root_dir


def make(
    directory: Path,
    build: Callable[[Path], Path] = small_tree,
    key: Ed25519PrivateKey = VENDOR,
    name: str = "demo",
    **kw,
) -> Path:
    src = directory / "src-tree"
    src.mkdir()
    build(src)
    out = directory / f"{name}.snapshot"
    create_snapshot(src, out, key, name, "1.0", created=CREATED, **kw)
    return out


def edited(data: bytes, *statements: tuple[str, tuple] | str) -> bytes:
    """The database `data` after running `statements` on an in-memory copy, with CHECK
    constraints off (an attacker editing the file is not bound by them)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.deserialize(data)
        conn.execute("PRAGMA ignore_check_constraints = ON")
        for s in statements:
            sql, params = (s, ()) if isinstance(s, str) else s
            conn.execute(sql, params)
        return conn.serialize()
    finally:
        conn.close()


def resign(data: bytes, key: Ed25519PrivateKey = VENDOR) -> bytes:
    """Recompute the manifest (root, totals, index digest) of `data` and sign it with `key`:
    what a vendor (or a thief of the vendor key) can always do."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.deserialize(data)
        body = conn.execute("SELECT body FROM manifest").fetchone()[0]
        old = parse(body)
        leaves = [row_leaf_hash(r) for r in conn.execute(
            f"SELECT {LEAF_COLUMNS} FROM files ORDER BY path")]  # fmt: skip
        count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        new = replace(
            old,
            root=root(leaves).hex(),
            entries=len(leaves),
            files=count("SELECT count(*) FROM files WHERE kind = 'file'"),
            bytes=count("SELECT coalesce(sum(size), 0) FROM files WHERE kind = 'file'"),
            skipped=count("SELECT count(*) FROM files WHERE kind = 'skipped'"),
            blobs=count("SELECT count(*) FROM blobs"),
            vendor=key_id(raw_public(key)),
            index=Index(old.index.tokenizer, old.index.detail, index_digest(conn).hex()),
            chunks=old.chunks and _chunks(conn, old.chunks),
        )
        if has_table(conn):
            digest, rows = symbols_digest(conn)
            tool = old.symbols.tool if old.symbols else "Universal Ctags 5.9.0"
            new = replace(new, symbols=Symbols(tool, rows, digest.hex()))
        body, sig = new.sign(key)
        conn.execute("UPDATE manifest SET body = ?, sig = ?", (body, sig))
        return conn.serialize()
    finally:
        conn.close()


def _chunks(conn: sqlite3.Connection, old: Chunks) -> Chunks:
    """The chunks digest of the rows as they are now (the old one if unreadable)."""
    try:
        return Chunks(old.size, chunks_digest(old.size, read_chunk_rows(conn)).hex())
    except ValueError:
        return old


def dump(data: bytes) -> list[tuple]:
    """Every row of every table, the schema and the header pragmas, read independently
    of the verifier (for telling a harmless byte flip from a changed row)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        conn.text_factory = bytes
        out: list[tuple] = [tuple(conn.execute("PRAGMA application_id").fetchone())]
        out.append(tuple(conn.execute("PRAGMA user_version").fetchone()))
        schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall()
        out += schema
        for kind, name, _, _ in schema:
            if kind == b"table" and name != b"search":
                table = name.decode()
                try:
                    rows = conn.execute(f'SELECT rowid, * FROM "{table}"').fetchall()
                except sqlite3.OperationalError:  # WITHOUT ROWID
                    rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
                out += [(table, *r) for r in rows]
        return out
    finally:
        conn.close()
