"""Chunk lists (docs/snapshot-format.md §2.1, ADR 0109): written by create, sealed by
the manifest, checked by `Snapshot.open` and by `snapshot verify`.

Real snapshot files, made by `create_snapshot` with a real vendor key, edited as
someone who can write the file would (after signing) or re-signed as a vendor
(or a thief of the vendor key) could.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.session.source import ContentRefused
from cleanroom.snapshot.blobs import facts
from cleanroom.snapshot.chunks import ENTRY, decode_row, read_rows
from cleanroom.snapshot.create import CreateError, create_snapshot
from cleanroom.snapshot.store import Snapshot, SnapshotError, SnapshotTampered
from cleanroom.snapshot.verify import verify_snapshot
from tests.ledgerkit import Kit
from tests.snapshotkit import edited, resign

CS = 16  # a small chunk size, so that boundaries fall where the tests want them
E = "é".encode()
FILES = {
    b"empty": b"",
    b"one": b"a",
    b"exactly-one-chunk": b"0123456789abcde\n",  # 16 bytes: no list
    b"two-chunks-exactly": b"0123456789abcde\n" * 2,
    b"long-line": b"x" * 40 + b"\nshort\n" + b"y" * 20,  # a boundary inside a line, no final LF
    b"utf8-split": b"abcdefghijklmno" + E + b"\n" + E * 20 + b"\n",  # 'é' across offset 16
    b"binary": b"\x00\x01" * 20,
}


def tree(directory: Path, files: dict[bytes, bytes] = FILES) -> Path:
    src = directory / "src"
    src.mkdir()
    for name, data in files.items():
        (src / name.decode()).write_bytes(data)
    return src


def make(kit: Kit, directory: Path, chunk_size: int | None = CS) -> Path:
    """A snapshot with chunk lists of `chunk_size`; None: one made before chunk lists,
    hence before the byte presence table too (§3.1)."""
    out = directory / "s.snapshot"
    create_snapshot(tree(directory), out, kit.vendor, "n", "1", created=1,
                    chunk_size=chunk_size, presence=chunk_size is not None)  # fmt: skip
    return out


def rows_of(path: Path) -> dict:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r.blob: r for r in read_rows(conn)}
    finally:
        conn.close()


def codes(path: Path, kit: Kit) -> list[str]:
    return [f.code for f in verify_snapshot(path, kit.trust).findings]


def copy(path: Path, out: Path, data: bytes) -> Path:
    out.write_bytes(data)
    return out


def test_each_content_over_one_chunk_has_its_list_and_no_other(kit, tmp_path):
    snap = make(kit, tmp_path)
    rows = rows_of(snap)
    over = {facts(d).hash: d for d in FILES.values() if len(d) > CS}
    assert set(rows) == set(over)
    for blob, data in over.items():
        row = rows[blob]
        parts = [data[i : i + CS] for i in range(0, len(data), CS)]
        assert row.hashes == tuple(hashlib.sha256(p).digest() for p in parts)
        assert row.feeds == tuple(p.count(b"\n") for p in parts)
        assert row.plain == tuple(all(b in (9, 10) or 32 <= b < 127 for b in p) for p in parts)
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()
        assert row.lines == len(lines) and row.widest == max(map(len, lines))
    assert verify_snapshot(snap, kit.trust).status == "INTACT"
    with Snapshot.open(snap, kit.trust) as s:
        assert s.manifest.chunks is not None and s.manifest.chunks.size == CS
        assert s.chunk_rows == rows


def test_a_snapshot_without_chunk_lists_still_opens_and_verifies(kit, tmp_path):
    snap = make(kit, tmp_path, chunk_size=None)
    with Snapshot.open(snap, kit.trust) as s:
        assert s.manifest.chunks is None and s.chunk_rows == {}
        assert b'"chunks"' not in s.manifest_bytes
    assert verify_snapshot(snap, kit.trust).status == "INTACT"


@pytest.mark.parametrize("size", [0, 15, 24, 1 << 25])
def test_create_refuses_a_chunk_size_that_is_not_a_power_of_two_in_range(kit, tmp_path, size):
    with pytest.raises(CreateError, match="chunk size"):
        create_snapshot(tree(tmp_path), tmp_path / "s.snapshot", kit.vendor, "n", "1",
                        chunk_size=size)  # fmt: skip
    assert not (tmp_path / "s.snapshot").exists()


# -- edited after signing: refused at open, named by verify --------------------------

LONG = facts(FILES[b"long-line"]).hash
SPLIT = facts(FILES[b"utf8-split"]).hash


def _flip_entry(path: Path, blob: bytes, i: int) -> bytes:
    packed = bytearray(rows_of(path)[blob].encode())
    packed[i * ENTRY] ^= 1
    return bytes(packed)


AFTER_SIGNING = {
    "a chunk hash": lambda p: (("UPDATE chunks SET list = ? WHERE blob = ?",
                                (_flip_entry(p, LONG, 1), LONG)),),
    "the line count": lambda p: (("UPDATE chunks SET lines = lines + 1 WHERE blob = ?", (LONG,)),),
    "the widest line": lambda p: (("UPDATE chunks SET widest = 1 WHERE blob = ?", (LONG,)),),
    "a row dropped": lambda p: (("DELETE FROM chunks WHERE blob = ?", (LONG,)),),
    "another blob's list": lambda p: (("UPDATE chunks SET list = (SELECT list FROM chunks WHERE"
                                       " blob = ?) WHERE blob = ?", (SPLIT, LONG)),),
    "the table dropped": lambda p: ("DROP TABLE chunks",),
}  # fmt: skip


@pytest.mark.parametrize("edit", AFTER_SIGNING)
def test_a_chunk_list_edited_after_signing_refuses_the_snapshot(kit, tmp_path, edit):
    genuine = make(kit, tmp_path)
    bad = copy(genuine, tmp_path / "bad.snapshot",
               edited(genuine.read_bytes(), *AFTER_SIGNING[edit](genuine)))  # fmt: skip
    with pytest.raises((SnapshotTampered, SnapshotError), match="chunks"):
        Snapshot.open(bad, kit.trust)
    assert "CHUNKS" in codes(bad, kit) or "SCHEMA" in codes(bad, kit)
    assert verify_snapshot(bad, kit.trust).status == "TAMPERED"


def test_a_chunks_table_added_to_an_old_snapshot_is_refused(kit, tmp_path):
    from cleanroom.snapshot.chunks import CHUNKS_DDL

    old = make(kit, tmp_path, chunk_size=None)
    bad = copy(old, tmp_path / "bad.snapshot", edited(old.read_bytes(), CHUNKS_DDL))
    with pytest.raises(SnapshotTampered, match="chunks table the manifest does not sign"):
        Snapshot.open(bad, kit.trust)
    assert "CHUNKS" in codes(bad, kit)


# -- signed by the vendor, but wrong: verify names them -------------------------------

VENDOR_SIGNED = {
    "one entry short": lambda r: ("UPDATE chunks SET list = ? WHERE blob = ?",
                                  (r[LONG].encode()[:-ENTRY], LONG)),
    "one entry more": lambda r: ("UPDATE chunks SET list = ? WHERE blob = ?",
                                 (r[LONG].encode() + r[LONG].encode()[:ENTRY], LONG)),
    "another blob's list": lambda r: ("UPDATE chunks SET list = ?, lines = ? WHERE blob = ?",
                                      (r[SPLIT].encode(), r[SPLIT].lines, LONG)),
    "a line feed count": lambda r: ("UPDATE chunks SET list = ? WHERE blob = ?",
                                    (r[LONG].encode()[:32] + b"\x00\x00\x00\x07"
                                     + r[LONG].encode()[36:], LONG)),
    "a list for a small content": lambda r: (
        "INSERT INTO chunks SELECT hash, lines, 1, ? FROM blobs WHERE size <= 16 AND size > 0",
        (r[LONG].encode()[:37],)),
    "a row dropped": lambda r: ("DELETE FROM chunks WHERE blob = ?", (LONG,)),
}  # fmt: skip


@pytest.mark.parametrize("edit", VENDOR_SIGNED)
def test_a_wrong_chunk_list_the_vendor_signed_is_named_by_verify(kit, tmp_path, edit):
    genuine = make(kit, tmp_path)
    statement = VENDOR_SIGNED[edit](rows_of(genuine))
    bad = copy(genuine, tmp_path / "bad.snapshot", resign(edited(genuine.read_bytes(), statement),
                                                          kit.vendor))  # fmt: skip
    Snapshot.open(bad, kit.trust).close()  # signed: it opens; the terminal checks each chunk
    report = verify_snapshot(bad, kit.trust)
    assert report.status == "TAMPERED"
    assert [f.code for f in report.findings] == ["CHUNKS"] * len(report.findings)
    if edit != "a list for a small content":
        assert any(f.path == b"long-line" for f in report.findings)
    # and the terminal: a list that cannot be this content's refuses the file
    source = SnapshotSource.from_file(bad, kit.trust)
    path = b"one" if edit == "a list for a small content" else b"long-line"
    if edit == "a row dropped":
        assert source.open(path).document.lines(0, 1) == [b"x" * 40]  # checked whole
    else:
        with pytest.raises(ContentRefused):
            source.open(path)
    source.snapshot.close()


def test_decode_row_refuses_malformed_values():
    good = (b"h" * 32, 2, 3, b"x" * 32 + b"\x00\x00\x00\x01\x01")
    assert decode_row(*good).feeds == (1,)
    for bad in (
        (b"h" * 31, 2, 3, good[3]),
        (good[0], -1, 3, good[3]),
        (good[0], 2, "3", good[3]),
        (good[0], 2, 3, b""),
        (good[0], 2, 3, good[3][:-1]),
        (good[0], 2, 3, good[3][:-1] + b"\x02"),
    ):
        with pytest.raises(ValueError):
            decode_row(*bad)


@pytest.mark.parametrize(
    "chunks",
    [{"size": 24, "digest": "0" * 64}, {"size": 8, "digest": "0" * 64},
     {"size": 1 << 25, "digest": "0" * 64}, {"size": 16}, {"size": 16, "digest": "X" * 64},
     {"size": 16, "digest": "0" * 64, "extra": 1}, [16]],
)  # fmt: skip
def test_a_signed_manifest_with_malformed_chunks_is_refused(kit, tmp_path, chunks):
    from cleanroom.ledger.encoding import canonical_json, parse_canonical

    genuine = make(kit, tmp_path)
    conn = sqlite3.connect(f"file:{genuine}?mode=ro", uri=True)
    fields = parse_canonical(conn.execute("SELECT body FROM manifest").fetchone()[0])
    conn.close()
    body = canonical_json({**fields, "chunks": chunks})
    sig = kit.vendor.sign(b"cleanroom:snapshot:v1\x00" + body)
    edit = ("UPDATE manifest SET body = ?, sig = ?", (body, sig))
    bad = copy(genuine, tmp_path / "bad.snapshot", edited(genuine.read_bytes(), edit))
    with pytest.raises(SnapshotError, match="bad manifest: manifest chunks"):
        Snapshot.open(bad, kit.trust)
    assert "MANIFEST" in codes(bad, kit)
