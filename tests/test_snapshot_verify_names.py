"""`snapshot verify` names each changed, added, removed or renamed entry, through the CLI.

Offline, the snapshot and the vendor key name changed content (BLOB_CHANGED), a bad
signature, and one added row (the only row whose removal gives the signed root).
With `--source DIR`, a walk of the tree names every entry that differs: as ROOT
findings when the walk is the signed tree, else as differences that change nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.snapshot.merkle import leaf_hash, root
from cleanroom.snapshot.naming import leaf_whose_removal_gives
from cleanroom.snapshot.verify import Status, verify_bytes
from cleanroom.snapshot.walk import display_path
from tests import hostile_tree as ht
from tests.snapshotkit import TRUST, VENDOR, edited, make

CLEANROOM = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "cleanroom")


def path_is(path: str) -> str:
    return f"path = CAST('{path}' AS BLOB)"


BYTE = ("UPDATE blobs SET content = x'6c6578660a'"  # b"leaf\n" becomes b"lexf\n"
        " WHERE substr(content, 1, 4) = CAST('leaf' AS BLOB)")  # fmt: skip
ADD = ("INSERT INTO files SELECT CAST('src/evil.c' AS BLOB), 'src/evil.c', kind, mode, size,"
       " blob, target, reason FROM files WHERE " + path_is("src/main.c"))  # fmt: skip
DELETE = "DELETE FROM files WHERE " + path_is("README.md")
RENAME = "UPDATE files SET path = CAST('src/zzz.c' AS BLOB), display = 'src/zzz.c' WHERE " + \
    path_is("src/util.c")  # fmt: skip
MODE = "UPDATE files SET mode = 33261 WHERE " + path_is("notes.txt")  # 0o100755
SIGNATURE = "UPDATE manifest SET sig = zeroblob(64)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(snapshot, its source tree, the vendor public key file)."""
    d = tmp_path_factory.mktemp("names")
    snap = make(d)
    pub = d / "vendor.pub"
    write_public_key(pub, VENDOR.public_key(), role=Role.VENDOR_ROOT)
    return snap, d / "src-tree", pub


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([CLEANROOM, "snapshot", "verify", *map(str, args)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def verdict(*args: object) -> tuple[int, dict]:
    out = run(*args, "--json")
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, json.loads(out.stdout)


def named(doc: dict) -> set[tuple[str, str | None]]:
    """(code, path) of every finding; the path as raw bytes, decoded for readability."""

    def raw(f: dict) -> str | None:
        return None if f["path_hex"] is None else bytes.fromhex(f["path_hex"]).decode()

    return {(f["code"], raw(f)) for f in doc["findings"]}


# What each change is named as without a source, and what --source adds.
CASES = {
    # `a` gone and `x` new in that blob: the byte presence table (ADR 0112) says so too
    "a byte changed in a blob": (BYTE, {("BLOB_CHANGED", "src/deep/er/leaf.txt"),
                                        ("PRESENCE", None)}, set()),
    "a row added": (ADD, {("ROOT", None), ("ROOT", "src/evil.c"), ("TOTALS", None)}, set()),
    "a row deleted": (DELETE, {("ROOT", None), ("TOTALS", None), ("BLOB_EXTRA", None)},
                      {("ROOT", "README.md")}),
    "a row renamed": (RENAME, {("ROOT", None)}, {("ROOT", "src/util.c"), ("ROOT", "src/zzz.c")}),
    "a row's mode changed": (MODE, {("ROOT", None)}, {("ROOT", "notes.txt")}),
    "a bad signature": (SIGNATURE, {("SIGNATURE", None)}, set()),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_change_is_named_with_and_without_the_source(demo, tmp_path, case):
    snap, src, pub = demo
    statement, offline, with_source = CASES[case]
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(edited(snap.read_bytes(), statement))

    code, doc = verdict(bad, "--trust", pub)
    assert code == 1 and doc["status"] == "TAMPERED" and doc["source"] is None
    assert named(doc) == offline

    code, doc = verdict(bad, "--trust", pub, "--source", src)
    assert code == 1 and named(doc) == offline | with_source
    source = doc["source"]
    assert source["entries"] == 15 and source["path"] == str(src)
    assert source["signed_tree"] is (case != "a bad signature")  # untrusted: proves nothing

    text = run(bad, "--trust", pub, "--source", src)
    assert text.returncode == 1
    for _, path in offline | with_source:
        if path is not None:
            assert f"ROOT  {path}: " in text.stdout or f"BLOB_CHANGED  {path}: " in text.stdout


def test_a_rename_reads_as_one_removed_and_one_added_entry(demo, tmp_path):
    snap, src, pub = demo
    bad = tmp_path / "renamed.snapshot"
    bad.write_bytes(edited(snap.read_bytes(), RENAME))
    _, doc = verdict(bad, "--trust", pub, "--source", src)
    messages = {f["path"]: f["message"] for f in doc["findings"] if f["path"]}
    assert messages["src/util.c"] == "removed after signing: only in the source"
    assert messages["src/zzz.c"].startswith("added after signing: only in the snapshot; the "
                                            "same file as src/util.c")  # fmt: skip
    assert doc["source"]["counts"] == {"added": 1, "removed": 1, "changed": 0}
    changes = [(d["change"], d["path"]) for d in doc["source"]["differences"]]
    assert changes == [("removed", "src/util.c"), ("added", "src/zzz.c")]


def test_a_changed_source_is_reported_but_the_snapshot_stays_intact(demo, tmp_path):
    """The snapshot is what the vendor signed; the tree has moved on since. Every
    difference is named, none is called tampering, and the exit status is 0."""
    snap, src, pub = demo
    tree = tmp_path / "tree"
    subprocess.run(["cp", "-a", str(src), str(tree)], check=True)
    (tree / "notes.txt").write_bytes(b"first\nsecond\r\nthird, edited")
    (tree / "README.md").unlink()
    (tree / "src" / "new.c").write_bytes(b"int new;\n")
    (tree / "src" / "main.c").chmod(0o755)
    code, doc = verdict(snap, "--trust", pub, "--source", tree)
    assert code == 0 and doc["status"] == "INTACT" and doc["findings"] == []
    assert doc["source"]["signed_tree"] is False
    changes = {(d["change"], d["path"]): d["detail"] for d in doc["source"]["differences"]}
    assert set(changes) == {("added", "README.md"), ("changed", "notes.txt"),
                            ("removed", "src/new.c"), ("changed", "src/main.c")}  # fmt: skip
    assert (
        changes["changed", "src/main.c"] == "mode 0o100644 in the snapshot, 0o100755 in the source"
    )
    assert changes["changed", "notes.txt"].startswith("size 19 in the snapshot, 27 in the source")
    text = run(snap, "--trust", pub, "--source", tree)
    assert text.returncode == 0 and "not the signed tree" in text.stdout
    assert "  removed  src/new.c: only in the source" in text.stdout

    # Tampered as well: the root mismatch stands, but no difference is pinned on the
    # snapshot, since the source is not the signed tree either.
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(edited(snap.read_bytes(), MODE))
    code, doc = verdict(bad, "--trust", pub, "--source", tree)
    assert code == 1 and named(doc) == {("ROOT", None)}
    assert ("changed", "notes.txt") in {
        (d["change"], d["path"]) for d in doc["source"]["differences"]
    }


def test_source_usage_problems_exit_2(demo, tmp_path):
    snap, src, pub = demo
    assert run(snap, "--trust", pub, "--source", tmp_path / "absent").returncode == 2
    assert run(snap, "--trust", pub, "--source", src / "README.md").returncode == 2
    assert run(snap, "--trust", pub, "--source", src, "--max-file-size", "-1").returncode == 2


def test_the_file_size_limit_must_match_creation(demo):
    """A file over --max-file-size is expected as skipped: a different limit than
    create's shows as changed entries, not as tampering."""
    snap, src, pub = demo
    code, doc = verdict(snap, "--trust", pub, "--source", src, "--max-file-size", "100")
    assert code == 0 and doc["source"]["signed_tree"] is False
    assert {d["path"] for d in doc["source"]["differences"]} == {"data/blob.bin"}


# -- hostile sources ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path, Path]:
    d = tmp_path_factory.mktemp("hostile-names")
    with ht.deadline(120):
        snap = make(d, ht.build, name="hostile")
    pub = d / "vendor.pub"
    write_public_key(pub, VENDOR.public_key(), role=Role.VENDOR_ROOT)
    return snap, d / "src-tree", pub


def test_a_hostile_source_is_walked_as_create_walks_it(hostile, tmp_path):
    """FIFOs are not opened, links not followed, names not decoded: the walk of the
    hostile tree reproduces the signed root, and tampered rows are named exactly."""
    snap, src, pub = hostile
    code, doc = verdict(snap, "--trust", pub, "--source", src)
    assert code == 0 and doc["findings"] == [] and doc["source"]["signed_tree"] is True

    renamed = b"esc-renamed.txt"
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(edited(
        snap.read_bytes(),
        ("DELETE FROM files WHERE path = ?", (ht.LATIN1_NAME,)),
        ("UPDATE files SET path = ?, display = ? WHERE path = ?",
         (renamed, display_path(renamed), ht.ESC_NAME)),
    ))  # fmt: skip
    code, doc = verdict(bad, "--trust", pub, "--source", src)
    assert code == 1
    rows = {bytes.fromhex(f["path_hex"]): f["message"] for f in doc["findings"] if f["path_hex"]}
    assert set(rows) == {ht.LATIN1_NAME, ht.ESC_NAME, renamed}
    assert rows[ht.LATIN1_NAME].startswith("removed after signing")
    assert rows[renamed].startswith("added after signing")
    text = run(bad, "--trust", pub, "--source", src)
    assert "\x1b" not in text.stdout and "\u202e" not in text.stdout
    assert "ROOT  latin1-⟨xE9⟩t⟨xE9⟩-⟨xFF⟩.c: removed after signing" in text.stdout
    assert "ROOT  esc-⟨x1B⟩[31mred⟨x1B⟩[0m.txt: removed after signing" in text.stdout


def test_a_fifo_or_link_that_changed_in_the_source_is_named_not_read(hostile, tmp_path):
    snap, src, pub = hostile
    tree = tmp_path / "tree"
    with ht.deadline(60):
        subprocess.run(["cp", "-a", str(src), str(tree)], check=True)
    base = os.fsencode(tree)
    os.unlink(os.path.join(base, b"loop-a"))
    os.mkfifo(os.path.join(base, b"loop-a"))  # a link became a FIFO
    os.unlink(os.path.join(base, b"dangling"))
    os.symlink(b"elsewhere\x1b[2J", os.path.join(base, b"dangling"))
    with ht.deadline(60):
        code, doc = verdict(snap, "--trust", pub, "--source", tree)
    assert code == 0 and doc["source"]["signed_tree"] is False
    changes = {bytes.fromhex(d["path_hex"]): d["detail"] for d in doc["source"]["differences"]}
    assert set(changes) == {b"loop-a", b"dangling"}
    assert changes[b"loop-a"].startswith("kind link in the snapshot, skipped in the source")
    assert "target missing⟨xFF⟩⟨x0A⟩target in the snapshot, elsewhere⟨x1B⟩[2J in the source" \
        in changes[b"dangling"]  # fmt: skip
    text = run(snap, "--trust", pub, "--source", tree).stdout  # tags once, not tagged again
    assert "target missing⟨xFF⟩⟨x0A⟩target in the snapshot, elsewhere⟨x1B⟩[2J in the source" \
        in text and "U+27E8" not in text  # fmt: skip


# -- one added row, found without the source ---------------------------------------------


def test_an_added_row_is_named_wherever_it_sorts(demo):
    snap, _, _ = demo
    data = snap.read_bytes()
    for new in ("0-first", "data/blob.bin.x", "m", "src/deep/er/leaf.txt0", "zz-last"):
        forged = edited(data, ("INSERT INTO files SELECT ?, ?, kind, mode, size, blob, target,"
                               " reason FROM files WHERE " + path_is("src/main.c"),
                               (new.encode(), new)))  # fmt: skip
        report = verify_bytes(forged, TRUST)
        assert [f.path for f in report.findings if f.path] == [new.encode()], new


def test_an_added_row_is_not_named_if_anything_else_changed(demo):
    """The search proves which row was added only when it restores the signed root."""
    snap, _, _ = demo
    report = verify_bytes(edited(snap.read_bytes(), ADD, MODE), TRUST)
    assert report.status is Status.TAMPERED
    assert [f.path for f in report.findings if f.code == "ROOT"] == [None]


def test_the_removal_search_agrees_with_the_merkle_root_for_every_position():
    for n in range(1, 40):
        leaves = [leaf_hash(bytes([i])) for i in range(n)]
        for i in range(n):
            assert leaf_whose_removal_gives(leaves, root(leaves[:i] + leaves[i + 1 :])) == i
        assert leaf_whose_removal_gives(leaves, root(leaves)) is None
