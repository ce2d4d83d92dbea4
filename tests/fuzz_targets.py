"""The fuzz targets: each verifier entry point, with the invariants it promises.

A target takes one input (bytes) and calls its entry point. It returns normally
when the entry point behaved: it returned, or raised one of its documented
errors. Anything else escapes as an exception, which is a finding:

- an undocumented exception (a traceback a person would see);
- `WroteFile`: the entry point created, changed or deleted a file outside its
  own private temporary directory, or left something behind in it;
- `TooSlow` (suite only; atheris has its own `-timeout`): one input took longer
  than `HANG_SECONDS`.

Both the suite (`tests/test_fuzz.py`, hypothesis) and the long run
(`scripts/fuzz.py`, atheris) drive these same functions; docs/fuzzing.md.
"""

from __future__ import annotations

import atexit
import os
import shutil
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cleanroom.forensics.describe import describe
from cleanroom.forensics.report import analyse
from cleanroom.forensics.sessionindex import SessionIndex
from cleanroom.forensics.timeline import Timeline, _decode
from cleanroom.ledger.encoding import EncodingError, decode_body, parse_canonical
from cleanroom.ledger.keys import Certificate, Role, load_public_key, raw_public
from cleanroom.ledger.load import load_bytes
from cleanroom.ledger.sessions import check_sessions
from cleanroom.ledger.verdict import Status
from cleanroom.ledger.verify import verify_image, verify_path
from cleanroom.ledger.witness import Receipt, Witness, WitnessError, normalize_code
from cleanroom.snapshot import verify as snapshot_verify

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
CORPUS = ROOT / "tests" / "fuzz_corpus"
HANG_SECONDS = 10.0

LEDGER_TRUST = [
    raw_public(load_public_key(VECTORS / "vendor.pub", role=Role.VENDOR_ROOT, unmarked_ok=True))
]


class WroteFile(AssertionError):
    """An entry point touched the file system outside its private directory."""


class TooSlow(AssertionError):
    """One input took longer than HANG_SECONDS."""


# -- framing: several byte strings in one fuzz input ---------------------------


def pack(parts: list[bytes]) -> bytes:
    """Length-prefixed parts (4-byte big-endian lengths)."""
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def unpack(data: bytes, count: int) -> list[bytes]:
    """Up to `count` parts of `data`, read leniently: a mutated length is cut to
    what is there, so every input means something."""
    parts, at = [], 0
    while len(parts) < count and at + 4 <= len(data):
        (n,) = struct.unpack_from(">I", data, at)
        parts.append(data[at + 4 : at + 4 + n])
        at += 4 + n
    return parts


# -- the no-side-effects invariant ----------------------------------------------

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_CHANGES = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.truncate",
            "os.symlink", "os.link", "os.utime", "os.chown", "shutil.rmtree"}  # fmt: skip


# The argument that holds dir_fd, for the events that take one.
_DIR_FD = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.chmod": 2, "os.rename": 2}


class _Watch:
    """An audit hook (sys.addaudithook cannot be removed, so one is installed once
    and switched on by `no_side_effects`). It sees what Python does; the sandbox
    directory check in `no_side_effects` catches what SQLite's C code would do to
    a relative path."""

    active = False
    private = ""  # the temp root the entry point may use for its private directories
    seen: list[str] = []  # noqa: RUF012
    installed = False

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if not cls.active:
            return
        if event == "open":
            path, mode, flags = args
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing:
                cls._check(event, path)
        elif event in _CHANGES:
            at = _DIR_FD.get(event)
            dir_fd = args[at] if at is not None and len(args) > at else None
            cls._check(event, args[0], dir_fd)
        elif event == "sqlite3.connect":
            database = os.fsdecode(args[0]) if not isinstance(args[0], str) else args[0]
            if database != ":memory:" and "mode=ro" not in database:
                cls.seen.append(f"sqlite3.connect({database!r}) is not read-only")

    @classmethod
    def _check(cls, event: str, path: object, dir_fd: object = None) -> None:
        if isinstance(path, int):  # a descriptor already opened (and checked)
            return
        text = os.fsdecode(path)  # type: ignore[arg-type]
        if isinstance(dir_fd, int) and dir_fd >= 0:  # shutil.rmtree works relative to one
            text = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), text)
        text = os.path.realpath(text)
        if not text.startswith(cls.private + os.sep):
            cls.seen.append(f"{event} {text}")


_SANDBOX = tempfile.mkdtemp(prefix="cleanroom-fuzz-")
atexit.register(shutil.rmtree, _SANDBOX, True)


@contextmanager
def no_side_effects() -> Iterator[None]:
    """Run the body with the file-system watch on: temporary directories are made
    under a fresh private root, the working directory is an empty sandbox, and
    both must be empty again afterwards. Raises WroteFile."""
    if not _Watch.installed:
        sys.addaudithook(_Watch.hook)
        _Watch.installed = True
    private = os.path.realpath(os.path.join(_SANDBOX, "tmp"))
    cwd = os.path.realpath(os.path.join(_SANDBOX, "cwd"))
    os.makedirs(private, exist_ok=True)
    os.makedirs(cwd, exist_ok=True)
    old_tmp, old_cwd = tempfile.tempdir, os.getcwd()
    tempfile.tempdir, _Watch.private, _Watch.seen = private, private, []
    os.chdir(cwd)
    _Watch.active = True
    try:
        yield
    finally:
        _Watch.active = False
        os.chdir(old_cwd)
        tempfile.tempdir = old_tmp
    left = sorted(os.listdir(private)) + sorted(os.listdir(cwd))
    for directory in (private, cwd):  # so one finding does not taint the next input
        shutil.rmtree(directory)
    if _Watch.seen or left:
        raise WroteFile("; ".join(_Watch.seen + [f"left behind: {n}" for n in left]))


# -- the targets ----------------------------------------------------------------


def ledger_image(data: bytes) -> None:
    """`verify_bytes` on a ledger image, optionally with a -wal (input: pack([db])
    or pack([db, wal])), then the forensic decoding that report, who-viewed and
    replay apply to a verified image."""
    parts = unpack(data, 2)
    if not parts:
        return
    db, wal = parts[0], (parts[1] if len(parts) > 1 else None)
    with no_side_effects():
        image = load_bytes(db, wal)
        made: list[tuple[list[Any], int]] = []
        verdict = verify_image(
            image, LEDGER_TRUST, workers=1, meanwhile=lambda: made.append(_decode(image.rows, {}))
        )
        # The same as read_timeline: the entries of a TAMPERED ledger are kept only
        # with include_tampered, which every forensic tool offers; so decode them all.
        forensics(image.name, verdict, *(made[0] if made else _decode(image.rows, {})))
        verdict.to_json()
        assert isinstance(verdict.status, Status)


_EVIDENCE = os.path.join(_SANDBOX, "evidence")
CANARY = os.path.join(_EVIDENCE, "canary.key")


def ledger_files(data: bytes) -> None:
    """`verify_path` on a ledger file with its sidecars, as `cleanroom verify`
    opens it (input: pack([flags, db, wal, journal]); flags bit 0: the -wal
    exists, bit 1: the -journal exists, bit 2: a trailer naming the canary by its
    absolute path, which differs from run to run, is appended to the journal).
    The evidence and a canary beside it must be exactly as they were."""
    parts = unpack(data, 4) + [b""] * 4
    flags, db, wal, journal = (parts[0][:1] or b"\x00")[0], parts[1], parts[2], parts[3]
    ledger = os.path.join(_EVIDENCE, "fuzz.ledger")
    files = {ledger: db, CANARY: b"do not delete"}
    if flags & 1:
        files[ledger + "-wal"] = wal
    if flags & 2:
        files[ledger + "-journal"] = journal + (_trailer(CANARY.encode()) if flags & 4 else b"")
    shutil.rmtree(_EVIDENCE, ignore_errors=True)
    os.makedirs(_EVIDENCE)
    for path, content in files.items():
        with open(path, "wb") as f:
            f.write(content)
    with no_side_effects():
        verdict = verify_path(Path(ledger), LEDGER_TRUST, workers=1)
        verdict.to_json()
    after = {}
    for name in os.listdir(_EVIDENCE):
        with open(os.path.join(_EVIDENCE, name), "rb") as f:
            after[os.path.join(_EVIDENCE, name)] = f.read()
    if after != files:
        changed = sorted(set(after) ^ set(files) | {p for p in files if after.get(p) != files[p]})
        raise WroteFile(f"the evidence changed: {', '.join(map(os.path.basename, changed))}")


def _trailer(super_journal: bytes) -> bytes:
    """A rollback journal's super-journal record (tests/journalkit.py)."""
    from tests.journalkit import JOURNAL_MAGIC, PENDING_BYTE

    checksum = sum(super_journal) & 0xFFFFFFFF
    pgno = struct.pack(">I", PENDING_BYTE // 4096 + 1)
    return pgno + super_journal + struct.pack(">II", len(super_journal), checksum) + JOURNAL_MAGIC


def forensics(name: str, verdict: Any, entries: list[Any], undecodable: int) -> None:
    """What report and who-viewed derive from a verified image's entries (none of
    their output code: that is tested by their own suites), and the check across
    ledgers that a directory run makes."""
    timeline = Timeline(name, verdict)
    timeline.entries, timeline.undecodable = entries, undecodable
    facts = (timeline.ledger_id, timeline.reviewer, timeline.org, timeline.workstation)
    assert all(f is None or isinstance(f, str) for f in (*facts, timeline.snapshot_id))
    check_sessions([verdict, verdict])  # a directory run holding the ledger twice
    analyse(entries, undecodable)
    for entry in entries:
        describe(entry)
    index = SessionIndex.from_timeline(timeline)
    record, parts = index.to_record()
    stored = SessionIndex.from_record(name, record, lambda path, _: parts.get(path))
    assert stored.searches == index.searches and stored.results == index.results
    for path in stored.paths:
        stored.rows_for(path)


def entry_body(data: bytes) -> None:
    """`decode_body`: an EncodingError or a Body."""
    try:
        decode_body(data)
    except EncodingError:
        pass


def canonical_json(data: bytes) -> None:
    """`parse_canonical`: an EncodingError or a value."""
    try:
        parse_canonical(data)
    except EncodingError:
        pass


def certificate(data: bytes) -> None:
    """`Certificate.parse` (input: pack([body, sig])), then its signature check."""
    parts = unpack(data, 2) + [b"", b""]
    try:
        cert = Certificate.parse(parts[0], parts[1])
    except EncodingError:
        return
    cert.signed_by(LEDGER_TRUST[0])


_RECEIPT_FD: int | None = None


def witness(data: bytes) -> None:
    """`Witness.parse` and `normalize_code` on text, `Receipt.load` on bytes
    (input: pack([text, receipt])). The receipt lives in an anonymous memory file,
    so no file is written even by the harness."""
    global _RECEIPT_FD
    parts = unpack(data, 2) + [b"", b""]
    text = parts[0].decode("utf-8", "surrogateescape")
    for parse in (Witness.parse, normalize_code):
        try:
            parse(text)
        except WitnessError:
            pass
    if _RECEIPT_FD is None:
        _RECEIPT_FD = os.memfd_create("fuzz-receipt")
    os.ftruncate(_RECEIPT_FD, 0)
    os.pwrite(_RECEIPT_FD, parts[1], 0)
    with no_side_effects():
        try:
            receipt = Receipt.load(Path(f"/proc/self/fd/{_RECEIPT_FD}"))
        except WitnessError:
            return
        receipt.witness  # noqa: B018 - derived from the head: must not raise either
        receipt.to_json()


def snapshot(data: bytes) -> None:
    """`snapshot.verify.verify_bytes` on a snapshot image."""
    from tests.snapshotkit import TRUST

    with no_side_effects():
        report = snapshot_verify.verify_bytes(data, TRUST)
        report.to_json()
        assert report.status is not None


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    max_len: int  # the largest input the long run builds (libFuzzer's -max_len)


TARGETS = {
    t.name: t
    for t in (
        Target("ledger_image", ledger_image, 1 << 16),
        Target("ledger_files", ledger_files, 1 << 16),
        Target("entry_body", entry_body, 1 << 13),
        Target("canonical_json", canonical_json, 1 << 13),  # room for an int of 4301 digits
        Target("certificate", certificate, 1 << 11),
        Target("witness", witness, 1 << 11),
        Target("snapshot", snapshot, 1 << 18),
    )
}


def corpus_files(target: str) -> list[Path]:
    return sorted((CORPUS / target).glob("*"))
