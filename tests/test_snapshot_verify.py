"""`snapshot verify` notices any changed byte in any table, and survives hostile files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.snapshot.findings import CODES
from cleanroom.snapshot.store import Snapshot
from cleanroom.snapshot.verify import Status, verify_bytes, verify_snapshot
from tests.ledgerkit import seeded_key
from tests.snapshotkit import TRUST, VENDOR, dump, edited, make, resign

CLEANROOM = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "cleanroom")
TABLES = ["files", "blobs", "manifest", "search_data", "search_idx", "search_docsize",
          "search_config"]  # fmt: skip


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> bytes:
    return make(tmp_path_factory.mktemp("verify")).read_bytes()


def starts(prefix: str) -> str:
    """SQL: the blob's content starts with `prefix` (LIKE does not match BLOB values)."""
    return f"substr(content, 1, {len(prefix)}) = CAST('{prefix}' AS BLOB)"


def codes(data: bytes, trust=TRUST) -> set[str]:
    return {f.code for f in verify_bytes(data, trust).findings}


def test_an_untouched_snapshot_is_intact(original):
    report = verify_bytes(original, TRUST)
    assert report.status is Status.INTACT and report.findings == []
    assert report.checked["entries"] == report.manifest.entries == 15


def _columns(data: bytes, table: str) -> tuple[list[str], list[tuple]]:
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        key = "rowid" if table in ("blobs", "search_data", "search_docsize") else cols[0]
        if table == "search_idx":
            key = "segid, term"
        keys = conn.execute(f'SELECT {key} FROM "{table}"').fetchall()
        return cols, [(key, k) for k in keys]
    finally:
        conn.close()


def _mutations(value):
    """Ways to change one stored value that keep its type (so STRICT tables accept them)."""
    if isinstance(value, int):
        return [value + 1, value ^ 0x40]
    if isinstance(value, bytes):
        if not value:
            return [b"\x00"]
        return [value[:-1] + bytes([value[-1] ^ 1]), bytes([value[0] ^ 0x80]) + value[1:],
                value + b"\x00"]  # fmt: skip
    if isinstance(value, str):
        return [value + " ", ("X" + value[1:]) if value[:1] != "X" else "Y" + value[1:]]
    return [b"\x01"]  # NULL becomes a value


def _sweep(original: bytes, table: str) -> list[str]:
    cols, keys = _columns(original, table)
    misses = []
    conn = sqlite3.connect(":memory:")
    conn.deserialize(original)
    for key_sql, key in keys:
        where = " AND ".join(f"{k.strip()} IS ?" for k in key_sql.split(","))
        row = conn.execute(f'SELECT {", ".join(cols)} FROM "{table}" WHERE {where}', key).fetchone()
        for col, value in zip(cols, row, strict=True):
            for new in _mutations(value):
                sql = f'UPDATE "{table}" SET "{col}" = ? WHERE {where}'
                try:
                    changed = edited(original, (sql, (new, *key)))
                except sqlite3.IntegrityError:
                    continue  # NOT NULL or a duplicate key: not a reachable edit this way
                if dump(changed) == dump(original):
                    continue
                if verify_bytes(changed, TRUST).status is Status.INTACT:
                    misses.append(f"{table}.{col} {value!r:.40} -> {new!r:.40}")
    conn.close()
    return misses


@pytest.mark.parametrize("table", TABLES)
def test_changing_any_value_in_any_row_of_any_table_is_detected(original, table):
    assert _sweep(original, table) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("DELETE FROM files WHERE path = CAST('README.md' AS BLOB)", {"ROOT", "TOTALS",
                                                                     "BLOB_EXTRA"}),
        ("INSERT INTO files SELECT CAST('zz-new' AS BLOB), 'zz-new', kind, mode, size, blob,"
         " target, reason FROM files WHERE kind = 'file' LIMIT 1", {"ROOT", "TOTALS"}),
        # The presence table (§3.1) names text blobs by rowid, in bitmaps as wide as
        # the largest rowid: moving, adding or dropping a blob makes it disagree.
        ("DELETE FROM blobs WHERE rowid = 1", {"BLOB_MISSING", "TOTALS", "INDEX",
                                               "INDEX_COVERAGE", "PRESENCE"}),
        ("INSERT INTO blobs VALUES (zeroblob(32), 0, 0, 0, x'', x'')", {"BLOB_EXTRA", "TOTALS",
         "BLOB_CHANGED", "INDEX", "INDEX_COVERAGE", "PRESENCE"}),
        ("UPDATE blobs SET rowid = rowid + 100 WHERE rowid = 2", {"INDEX", "PRESENCE"}),  # binary
        ("UPDATE blobs SET rowid = rowid + 100 WHERE rowid = 1", {"INDEX", "INDEX_COVERAGE",
                                                                  "PRESENCE"}),
        ("UPDATE blobs SET rowid = -rowid WHERE rowid IN (1, 3)", {"INDEX", "INDEX_COVERAGE",
                                                                   "PRESENCE"}),
        (("UPDATE blobs SET rowid = -1 WHERE rowid = 1",  # swap two text blobs' rowids
          "UPDATE blobs SET rowid = 1 WHERE rowid = 3",
          "UPDATE blobs SET rowid = 3 WHERE rowid = -1"), {"INDEX", "PRESENCE"}),
        ("DELETE FROM manifest", {"MANIFEST"}),
        ("INSERT INTO manifest SELECT 2, body, sig FROM manifest", {"MANIFEST", "CORRUPT"}),
        ("DELETE FROM search_data WHERE id = (SELECT max(id) FROM search_data)", {"INDEX"}),
        ("DELETE FROM search_docsize WHERE id = 1", {"INDEX", "INDEX_COVERAGE"}),
        ("CREATE TABLE extra (x)", {"SCHEMA"}),
        ("CREATE VIEW v AS SELECT 1", {"SCHEMA"}),
        ("CREATE INDEX i ON blobs (size)", {"SCHEMA"}),
        ("CREATE TRIGGER t AFTER INSERT ON blobs BEGIN SELECT 1; END", {"SCHEMA"}),
        ("PRAGMA user_version = 2", {"SCHEMA"}),
        ("PRAGMA application_id = 1", {"SCHEMA"}),
    ],
)  # fmt: skip
def test_added_removed_and_structural_changes_are_named(original, statement, expected):
    statements = (statement,) if isinstance(statement, str) else statement
    assert codes(edited(original, *statements)) == expected


def test_changed_content_names_every_file_that_uses_it(original):
    changed = edited(original, "UPDATE blobs SET content = CAST('int add(int a, int b)"
                     " { return a - b; }\n' AS BLOB) WHERE " + starts("int add"))  # fmt: skip
    report = verify_bytes(changed, TRUST)
    blob_changed = sorted(f.path for f in report.findings if f.code == "BLOB_CHANGED")
    assert blob_changed == [b"src/copy.c", b"src/util.c"]


def test_a_consistent_forgery_without_the_vendor_key_is_untrusted(original):
    forged = resign(edited(
        original,
        "DELETE FROM files WHERE path = CAST('notes.txt' AS BLOB)",
        "INSERT INTO search(search, rowid, content) SELECT 'delete', rowid, content FROM blobs"
        " WHERE " + starts("first"),
        "DELETE FROM blobs WHERE " + starts("first"),
        "DROP TABLE presence",  # else it still names the deleted blob (PRESENCE)
    ), seeded_key("thief"))  # fmt: skip
    assert codes(forged) == {"UNTRUSTED"}


def test_signature_and_trust_failures(original):
    assert codes(original, [bytes(32)]) == {"UNTRUSTED"}
    assert codes(original, []) == {"UNTRUSTED"}
    flipped = edited(original, "UPDATE manifest SET sig = zeroblob(64)")
    assert codes(flipped) == {"SIGNATURE"}


def test_a_malicious_vendor_index_is_caught_only_by_rebuilding(tmp_path):
    """The vendor signs an index in which one document's terms were swapped for others:
    every cheap check passes, and only --rebuild-index shows it does not match."""
    path = make(tmp_path)
    bad = resign(edited(
        path.read_bytes(),
        "INSERT INTO search(search, rowid, content) SELECT 'delete', rowid, content FROM blobs"
        " WHERE " + starts("#include"),
        "INSERT INTO search(rowid, content) SELECT rowid, 'nothing to see' FROM blobs"
        " WHERE " + starts("#include"),
    ), VENDOR)  # fmt: skip
    forged = tmp_path / "forged.snapshot"
    forged.write_bytes(bad)
    assert verify_snapshot(forged, TRUST).status is Status.INTACT
    rebuilt = verify_snapshot(forged, TRUST, rebuild_index=True)
    assert [f.code for f in rebuilt.findings] == ["INDEX_REBUILD"]
    assert verify_snapshot(path, TRUST, rebuild_index=True).findings == []


def test_a_dropped_document_is_caught_without_rebuilding(tmp_path):
    path = make(tmp_path)
    bad = resign(edited(
        path.read_bytes(),
        "INSERT INTO search(search, rowid, content) SELECT 'delete', rowid, content FROM blobs"
        " WHERE " + starts("#include"),
    ), VENDOR)  # fmt: skip
    assert codes(bad) == {"INDEX_COVERAGE"}


def test_flipping_any_byte_of_the_file_never_passes_as_intact_with_a_changed_row(original):
    """Raw bit flips across the whole file, every 97th byte: each is detected, or the
    file reads back row for row identical (a flip in free space or unused bytes)."""
    before = dump(original)
    detected = harmless = 0
    for offset in range(0, len(original), 97):
        data = bytearray(original)
        data[offset] ^= 0x20
        report = verify_bytes(bytes(data), TRUST)
        if report.status is Status.INTACT:
            assert dump(bytes(data)) == before, f"offset {offset}: a row changed, yet INTACT"
            harmless += 1
        else:
            detected += 1
    assert detected > 0 and detected + harmless == len(range(0, len(original), 97))


# -- hostile files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "NOT_SQLITE"),
        (b"hello, world\n", "NOT_SQLITE"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "NOT_SQLITE"),
        (b"SQLite format 3\x00" + bytes(100), "NOT_SQLITE"),
    ],
)
def test_files_that_are_not_snapshots_give_findings(tmp_path, content, code):
    path = tmp_path / "x.snapshot"
    path.write_bytes(content)
    report = verify_snapshot(path, TRUST)
    assert report.status is Status.TAMPERED and code in {f.code for f in report.findings}


@pytest.mark.parametrize("keep", [100, 4096, 16384, 40000, 0.5, 0.9])
def test_truncated_snapshots_give_findings_not_tracebacks(original, tmp_path, keep):
    size = int(len(original) * keep) if isinstance(keep, float) else keep
    path = tmp_path / "cut.snapshot"
    path.write_bytes(original[:size])
    report = verify_snapshot(path, TRUST)
    assert report.status is Status.TAMPERED
    assert {f.code for f in report.findings} & {"NOT_SQLITE", "CORRUPT"}


def test_any_file_name_works_even_one_that_is_not_utf8(original, tmp_path):
    path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9 ?#%20.snapshot")))
    path.write_bytes(original)
    assert verify_snapshot(path, TRUST, rebuild_index=True).findings == []
    with Snapshot.open(path, TRUST) as s:
        assert s.manifest.name == "demo"


def test_a_sidecar_is_a_warning_only(original, tmp_path):
    path = tmp_path / "s.snapshot"
    path.write_bytes(original)
    Path(f"{path}-journal").write_bytes(b"junk")
    report = verify_snapshot(path, TRUST)
    assert report.status is Status.INTACT and [f.code for f in report.findings] == ["SIDECAR"]


def test_every_finding_code_is_documented():
    spec = (Path(__file__).resolve().parents[1] / "docs" / "snapshot-format.md").read_text()
    assert [c for c in CODES if f"`{c}`" not in spec] == []


def test_cli_reports_hostile_files_plainly(original, tmp_path):
    pub = tmp_path / "vendor.pub"
    write_public_key(pub, VENDOR.public_key(), role=Role.VENDOR_ROOT)
    for name, content in [("empty", b""), ("text", b"not a db"), ("cut", original[:30000])]:
        path = tmp_path / f"{name}.snapshot"
        path.write_bytes(content)
        out = subprocess.run([CLEANROOM, "snapshot", "verify", path, "--trust", pub, "--json"],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert json.loads(out.stdout)["status"] == "TAMPERED"
        info = subprocess.run([CLEANROOM, "snapshot", "info", path], capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert info.returncode == 1 and "not a readable snapshot" in info.stderr
        assert "Traceback" not in info.stderr
