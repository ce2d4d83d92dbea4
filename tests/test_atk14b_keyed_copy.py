"""Outside attack atk14b (session 14) on who-viewed's keyed private copy (ADR 0314).

The copy is verified by the real loader, which copies a ledger with a `-wal` once
more into a private directory of its own. Whatever fails there for a reason of this
machine (the disk full, a file-size limit, a read that took too long) is a finding
about the run, not about the ledger's bytes; it must never be cached as the
ledger's verdict. The disk is filled for real: RLIMIT_FSIZE is lowered exactly
while the loader copies (a profile hook on the real code; Python ignores SIGXFSZ,
so the write fails with EFBIG as a full disk fails with ENOSPC)."""

from __future__ import annotations

import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cleanroom.forensics import indexes
from cleanroom.forensics.cache import Cache
from cleanroom.forensics.indexes import load_indexes
from cleanroom.forensics.keyed_copy import copy_ledger
from cleanroom.ledger import private_copy
from cleanroom.ledger.journal import JOURNAL_MAGIC, READS_AT_END, describe_journal
from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.ledger.private_copy import copy_tail
from cleanroom.ledger.verdict import Status
from tests.ledgerkit import Kit, writable


def _full_disk_at_call(code: object, nth: int):
    """A profile hook: files may hold at most one byte during call `nth` of `code`."""
    calls = 0
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    def hook(frame, event, arg):
        nonlocal calls
        if frame.f_code is not code:
            return
        if event == "call":
            calls += 1
            if calls == nth:
                resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))
        elif event == "return" and calls == nth:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    return hook, lambda: calls


def test_a_disk_full_while_the_loader_copies_the_private_copy_is_not_cached(tmp_path):
    """A ledger of a session still open, with its -wal: the keyed copy is made, then
    the loader's own copy of it meets a full disk. That query may say what it met;
    the next one, with room again, must not answer it from the cache."""
    kit = Kit("atk14b-disk-full")
    (tmp_path / "ev").mkdir()
    ledger = kit.new_ledger(tmp_path / "ev", views=5)
    assert os.path.exists(f"{ledger.path}-wal")
    (truth,), _ = load_indexes([ledger.path], kit.trust, None)
    assert truth.status is Status.INCOMPLETE  # open, not sealed: nothing wrong with it
    hook, calls = _full_disk_at_call(private_copy.copy_pair.__code__, 2)
    with Cache.open(tmp_path / "cache", tmp_path / "state") as cache:
        sys.setprofile(hook)
        try:
            (first,), _ = load_indexes([ledger.path], kit.trust, cache)
        finally:
            sys.setprofile(None)
    assert calls() >= 2  # the keyed copy, then the loader's copy of it
    assert "File too large" in str([f.message for f in first.verdict.findings])
    with Cache.open(tmp_path / "cache", tmp_path / "state") as cache:
        (again,), cached = load_indexes([ledger.path], kit.trust, cache)
        assert (again.status, cached) == (truth.status, set())
        (third,), cached = load_indexes([ledger.path], kit.trust, cache)
        assert (third.status, cached) == (truth.status, {str(ledger.path)})
    ledger.close()


def test_a_hot_journal_naming_another_file_deletes_nothing_and_changes_no_evidence(tmp_path):
    """A sealed ledger with a -journal beside it whose trailer names a super-journal
    (a file SQLite deletes when it rolls such a journal back): the file named
    survives the cached and uncached queries, and no byte of the evidence moves."""
    kit = Kit("atk14b-hot-journal")
    (tmp_path / "ev").mkdir()
    ledger = kit.new_ledger(tmp_path / "ev", views=3)
    ledger.seal()
    ledger.close()
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    name = os.fsencode(victim)
    # A rollback journal header, one page of garbage, then the super-journal trailer.
    header = JOURNAL_MAGIC + struct.pack(">IIIII", 1, 0, 0, 512, 4096)
    body = header.ljust(512, b"\0") + b"\x01" * 4096
    trailer = struct.pack(">II", len(name), sum(name)) + JOURNAL_MAGIC
    journal = Path(f"{ledger.path}-journal")
    journal.write_bytes(body + struct.pack(">I", 1) + name + trailer)
    before = {p.name: p.read_bytes() for p in (tmp_path / "ev").iterdir()}
    for _ in range(2):
        with Cache.open(tmp_path / "cache", tmp_path / "state") as cache:
            (index,), _ = load_indexes([ledger.path], kit.trust, cache)
        assert "super-journal" in str([f.message for f in index.verdict.findings])
    (index,), _ = load_indexes([ledger.path], kit.trust, None)
    assert victim.read_bytes() == b"keep me"
    assert {p.name: p.read_bytes() for p in (tmp_path / "ev").iterdir()} == before


def _limited_file_size(limit: int):
    """A profile hook: no file may grow past `limit` bytes while `load_indexes` runs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    def hook(frame, event, arg):
        if frame.f_code is load_indexes.__code__:
            if event == "call":
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
            elif event == "return":
                resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    return hook


def test_a_big_journal_beside_a_small_ledger_costs_no_more_than_the_ledger(tmp_path):
    """An 8 MiB dense -journal beside a 3-view ledger (atk14b F2: it was copied and
    hashed whole on every uncached query). The keyed copy's journal holds only what
    the loader reads of it (its end), so it occupies a few KiB of the temporary
    directory, and the ledger's verdict is cached as before."""
    kit = Kit("atk14b-big-journal")
    (tmp_path / "ev").mkdir()
    ledger = kit.new_ledger(tmp_path / "ev", views=3)
    ledger.seal()
    ledger.close()
    Path(f"{ledger.path}-journal").write_bytes(os.urandom(8 << 20))
    (tmp_path / "private").mkdir()
    copy = copy_ledger(ledger.path, tmp_path / "private")
    assert copy is not None
    held = os.stat(f"{copy}-journal")
    assert held.st_size == 8 << 20  # described with its real size
    assert held.st_blocks * 512 <= 64 << 10, held.st_blocks  # but only its end is held
    for _ in range(2):
        with Cache.open(tmp_path / "cache", tmp_path / "state") as cache:
            (index,), cached = load_indexes([ledger.path], kit.trust, cache)
    assert index.status is not Status.TAMPERED, index.status
    assert cached == {str(ledger.path)}, index.status


@pytest.mark.parametrize("size", [0, 1, 19, 4111, 4112, 4113, 1 << 20])
def test_the_journal_copy_is_described_as_the_journal(tmp_path, size):
    """The keyed copy holds only a journal's end (atk14b F2): the loader's whole
    reading of a journal (its size, its trailer, the super-journal name before it)
    must find the same there, for sizes around what it reads and a name at the end."""
    name = b"/evidence/" + b"n" * 40
    trailer = struct.pack(">II", len(name), 0) + JOURNAL_MAGIC
    body = os.urandom(max(0, size - len(name) - len(trailer)))
    data = (body + name + trailer)[-size:] if size else b""
    original = tmp_path / "x.ledger-journal"
    original.write_bytes(data)
    copy = tmp_path / "copy-journal"
    assert copy_tail(original, copy, READS_AT_END) == size
    assert describe_journal(str(copy)) == describe_journal(str(original))
    assert os.path.getsize(copy) == size
    if size >= len(name) + len(trailer):
        assert "super-journal" in describe_journal(str(copy))  # the case is exercised


def _tampered_and_genuine(tmp_path: Path, name: str) -> tuple[Kit, Path, Path]:
    kit = Kit(name)
    (tmp_path / "ev").mkdir()
    ledger = kit.new_ledger(tmp_path / "ev", views=5)
    ledger.seal()
    ledger.close()
    genuine = tmp_path / "genuine.ledger"
    shutil.copy2(ledger.path, genuine)
    with writable(ledger.path) as conn:
        body = conn.execute("SELECT body FROM entries WHERE seq = 2").fetchone()[0]
        conn.execute("UPDATE entries SET body = ? WHERE seq = 2", (body[:-1] + b"\x00",))
    return kit, ledger.path, genuine


def test_a_temporary_directory_others_may_write_cannot_swap_the_copy(tmp_path, monkeypatch):
    """TMPDIR is a directory anyone may write, without the sticky bit (a shared
    scratch directory). The other user's rename is played by a profile hook at the
    moment the copy, already keyed, is verified (atk14b F3: it was then cached
    INTACT for the TAMPERED ledger). No private directory is made there: the
    ledger is verified by path and nothing is stored."""
    kit, path, genuine = _tampered_and_genuine(tmp_path, "atk14b-shared-tmp")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))

    def swap(frame, event, arg):
        if frame.f_code is indexes.read_timeline.__code__ and event == "call":
            ours = Path(frame.f_locals["path"]).parent
            if ours.parent != shared:
                return  # verified by path: nothing of ours to swap
            os.rename(ours, shared / "moved-away")
            ours.mkdir()
            shutil.copy2(genuine, ours / "ledger")

    with Cache.open(tmp_path / "cache", tmp_path / "state") as cache:
        sys.setprofile(swap)
        try:
            load_indexes([path], kit.trust, cache)
        finally:
            sys.setprofile(None)
        (index,), cached = load_indexes([path], kit.trust, cache)
    assert index.status is Status.TAMPERED, cached


def test_verify_refuses_a_temporary_directory_others_may_write(tmp_path):
    """The loader copies a ledger with a `-wal` into a private directory and SQLite
    opens the copy by name: in a temporary directory others may write without the
    sticky bit, the copy could be swapped under `cleanroom verify` as under
    who-viewed. It says so in one line, exit 2, instead of reading there."""
    kit = Kit("atk14b-shared-tmp-verify")
    (tmp_path / "ev").mkdir()
    ledger = kit.new_ledger(tmp_path / "ev", views=3)
    assert os.path.exists(f"{ledger.path}-wal")
    write_public_key(tmp_path / "vendor.pub", kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [f"{Path(sys.executable).parent}/cleanroom", "verify", str(ledger.path),
         "--trust", str(tmp_path / "vendor.pub")],
        capture_output=True, text=True, env=env | {"TMPDIR": str(shared)},
        stdin=subprocess.DEVNULL, timeout=300,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode == 2 and "not sticky" in said and "Traceback" not in said, said
    assert os.listdir(shared) == []
    ledger.close()
