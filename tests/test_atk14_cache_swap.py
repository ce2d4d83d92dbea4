"""A ledger swapped while who-viewed verifies it, and swapped back, never poisons the
cache (outside attack atk14, sessions 13 and 14; ADR 0314).

The attacker can write the evidence directory and the directories above it. They
rename an intact copy over a TAMPERED ledger (or a whole directory holding one)
just as the verifier reads it, and rename the TAMPERED one back before anything
looks again. Stamps (inodes, ctimes) of the path cannot see a directory two
levels up swapped and swapped back; what closes it is that the verdict stored is
the verdict on the very bytes keyed: a private copy is keyed and verified. So
whatever the first answer was, every later cached answer for each file is that
file's own status. The attacker's timing is played exactly with a profile hook
on the real code (real ledgers, real keys, real SQLite cache, nothing replaced)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cleanroom.forensics import indexes, keyed_copy
from cleanroom.forensics.cache import Cache, ledger_key
from cleanroom.forensics.indexes import load_indexes
from cleanroom.forensics.sessionindex import SessionIndex
from cleanroom.ledger.verdict import Status
from tests.ledgerkit import Kit, writable


def _tamper(path: Path) -> None:
    with writable(path) as conn:
        body = conn.execute("SELECT body FROM entries WHERE seq = 2").fetchone()[0]
        conn.execute("UPDATE entries SET body = ? WHERE seq = 2", (body[:-1] + b"\x00",))


@dataclass
class Case:
    """A TAMPERED ledger at `path` (inside `case`), an intact copy of it at `genuine`
    (outside), and a private cache."""

    kit: Kit
    case: Path
    path: Path
    genuine: Path
    cache_dir: Path
    keys: Path

    def load(self, paths: list[Path]) -> tuple[list[SessionIndex], set[str]]:
        with Cache.open(self.cache_dir, self.keys) as cache:
            return load_indexes(paths, self.kit.trust, cache)

    def swap_file(self) -> None:
        """The genuine copy in the ledger's place; the TAMPERED one set aside."""
        os.rename(self.path, self.path.with_name("aside.ledger"))
        os.link(self.genuine, self.path)

    def unswap_file(self) -> None:
        os.rename(self.path.with_name("aside.ledger"), self.path)

    def swap_dir(self) -> None:
        """The whole case directory renamed away, one holding the genuine copy in its place."""
        os.rename(self.case, self.case.with_name("case.away"))
        self.path.parent.mkdir(parents=True)
        os.link(self.genuine, self.path)

    def unswap_dir(self) -> None:
        shutil.rmtree(self.case)
        os.rename(self.case.with_name("case.away"), self.case)

    def check_cache(self) -> None:
        """Each file's cached answer is its own status, from the cache."""
        for path, status in ((self.path, Status.TAMPERED), (self.genuine, Status.INTACT)):
            (index,), _ = self.load([path])
            assert index.status is status, (path.name, index.status)
            (index,), cached = self.load([path])
            assert (index.status, cached) == (status, {str(path)}), path.name


def _case(tmp_path: Path, name: str) -> Case:
    kit = Kit(name)
    case = tmp_path / "case"
    (case / "ledgers").mkdir(parents=True)
    ledger = kit.new_ledger(case / "ledgers", views=5)
    ledger.seal()
    ledger.close()
    genuine = tmp_path / "genuine.ledger"
    shutil.copy2(ledger.path, genuine)
    _tamper(ledger.path)  # the evidence as it is: TAMPERED
    return Case(kit, case, ledger.path, genuine, tmp_path / "cache", tmp_path / "state")


def _around(code: object, before: Callable[[], None], after: Callable[[], None]):
    """A profile hook: `before` when `code` is called, `after` when it returns."""

    def hook(frame, event, arg):
        if frame.f_code is code:
            if event == "call":
                before()
            elif event == "return":
                after()

    return hook


def _attacked(c: Case, hook) -> SessionIndex:
    sys.setprofile(hook)
    try:
        (index,), cached = c.load([c.path])
    finally:
        sys.setprofile(None)
    assert not cached
    return index


def test_a_ledger_swapped_during_verification_is_not_cached_as_the_other(tmp_path):
    c = _case(tmp_path, "atk14-swap")
    # Session 13's attack: the file swapped as the verifier reads it, and back.
    _attacked(c, _around(indexes.read_timeline.__code__, c.swap_file, c.unswap_file))
    c.check_cache()


def test_a_directory_above_swapped_during_verification_is_not_cached_as_the_other(tmp_path):
    c = _case(tmp_path, "atk14-swap-dir")
    # Session 13's residual: every stamp of the path comes back as it was.
    _attacked(c, _around(indexes.read_timeline.__code__, c.swap_dir, c.unswap_dir))
    c.check_cache()


def test_what_is_copied_is_what_is_keyed_and_judged(tmp_path):
    """Swapped exactly while the ledger is copied: the genuine bytes are copied, keyed
    and judged INTACT, so the one record stored is the genuine bytes', and it
    answers for the genuine file, never for the TAMPERED one in the evidence."""
    c = _case(tmp_path, "atk14-swap-copy")
    index = _attacked(c, _around(keyed_copy.copy_ledger.__code__, c.swap_dir, c.unswap_dir))
    assert index.status is Status.INTACT  # the bytes it read were the genuine copy's
    assert index.path == str(c.path)  # named as asked, not as the private copy
    (again,), cached = c.load([c.path])
    assert (again.status, cached) == (Status.TAMPERED, set())
    (genuine,), cached = c.load([c.genuine])
    assert (genuine.status, cached) == (Status.INTACT, {str(c.genuine)})


def test_a_swap_at_any_file_call_never_poisons_the_cache(tmp_path):
    """The directory swapped in at each call by which the first query looks up,
    opens or reads a file (FILE_CALLS), and back at the next such call or only
    after the query: 2 x N attacks on an emptied cache, after each of which every
    record in the cache is keyed by bytes that are exactly the genuine or the
    TAMPERED ledger's, and says that ledger's status."""
    c = _case(tmp_path, "atk14-swap-sweep")
    truth = {ledger_key(c.path, c.kit.trust): Status.TAMPERED,
             ledger_key(c.genuine, c.kit.trust): Status.INTACT}  # fmt: skip
    calls = _system_calls(c)
    assert calls > 10  # the sweep reaches into the copy and the verification
    stored = 0
    with Cache.open(c.cache_dir, c.keys) as cache:
        # One cache for every attack, emptied between them; not synced to disk at
        # each commit: the sweep is about what is stored, not about power cuts.
        cache._conn.execute("PRAGMA synchronous = OFF")
        for start in range(calls):
            for back in (start + 1, None):
                cache._conn.execute("DELETE FROM records")
                sys.setprofile(_at_calls(start, back, c.swap_dir, c.unswap_dir))
                try:
                    load_indexes([c.path], c.kit.trust, cache)
                finally:
                    sys.setprofile(None)
                if c.case.with_name("case.away").exists():
                    c.unswap_dir()  # swapped at the last call: back now
                for key, record in _records(cache):
                    index = SessionIndex.from_record("x", record, lambda p, d: None)
                    assert index.status is truth.get(key), (start, back, index.status)
                    stored += 1
    assert stored >= calls  # most attacks left a record to check


def _records(cache: Cache) -> list[tuple[bytes, bytes]]:
    rows = cache._conn.execute("SELECT key FROM records").fetchall()
    return [(k, r) for (k,) in rows if (r := cache.get(k)) is not None]


def _system_calls(c: Case) -> int:
    n = 0

    def count(frame, event, arg):
        nonlocal n
        n += _touches_files(event, arg)

    shutil.rmtree(c.cache_dir, ignore_errors=True)
    with Cache.open(c.cache_dir, c.keys) as cache:
        sys.setprofile(count)
        try:
            load_indexes([c.path], c.kit.trust, cache)
        finally:
            sys.setprofile(None)
    return n


# The calls by which a file or directory is looked up, opened or read.
FILE_CALLS = frozenset({"open", "stat", "lstat", "fstat", "pread", "read", "lseek", "listdir",
                        "scandir", "readlink"})  # fmt: skip


def _touches_files(event: str, arg: object) -> bool:
    return (
        event == "c_call"
        and getattr(arg, "__module__", None) == "posix"
        and getattr(arg, "__name__", None) in FILE_CALLS
    )


def _at_calls(start: int, back: int | None, swap, unswap):
    """A profile hook: `swap` before file call number `start` (FILE_CALLS),
    `unswap` before number `back` (None: never)."""
    n = 0

    def hook(frame, event, arg):
        nonlocal n
        if not _touches_files(event, arg):
            return
        sys.setprofile(None)  # the attacker's own calls are not counted
        try:
            if n == start:
                swap()
            elif n == back:
                unswap()
        finally:
            n += 1
            sys.setprofile(hook)

    return hook
