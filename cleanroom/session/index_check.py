"""Check a snapshot's search index against the vendor's signature once per snapshot file.

A changed index cannot put a line on screen that the content does not hold
(hits are checked against the content before they are shown), but it can hide
hits. Proving it is the signed index means reading all of it (about 13 s for
the Linux snapshot), so the answer is remembered (docs/adr/0104):

- where: `<ledger dir>/.snapshot-checks/<snapshot id>.json`, a directory that
  only the user who records sessions may write. A record that is not a regular
  file, is a link, or that its directory or itself lets another user write, is
  ignored (the check runs again), never trusted.
- for what: the snapshot id, the signed index digest and the file's identity
  and change times (device, inode, size, mtime, ctime). Any write to the file
  changes its ctime, which no user can set, so an edited file is checked again.

The file is stat'ed before it is opened and again after the check, and both must
agree: the check then applies to the file the session reads.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from ..snapshot.store import Snapshot, SnapshotError, SnapshotTampered

CHECKS_DIR = ".snapshot-checks"
FORMAT = "cleanroom.index-check.v1"
MAX_RECORD = 4096


def identity(path: Path) -> dict[str, int]:
    """What changes when the file at `path` is replaced or written."""
    st = os.stat(path)
    return {"dev": st.st_dev, "ino": st.st_ino, "size": st.st_size,
            "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}  # fmt: skip


def ensure_index_checked(
    snapshot: Snapshot,
    before: dict[str, int],
    ledger_dir: Path,
    say: Callable[[str], None] = lambda _: None,
) -> bool:
    """Make sure the search index of `snapshot` (whose file had `identity` `before`
    when it was opened) is the signed one. True if it was checked now, False if a
    trusted record said so. Raises SnapshotTampered if it is not the signed index,
    SnapshotError if the file changed meanwhile or cannot be read."""
    record = {"format": FORMAT, "snapshot": snapshot.id,
              "index_digest": snapshot.manifest.index.digest, **before}  # fmt: skip
    return check_once(snapshot, before, record, f"{snapshot.id}.json", ledger_dir,
                      "search index", snapshot.index_problem, say)  # fmt: skip


def check_once(
    snapshot: Snapshot,
    before: dict[str, int],
    record: dict[str, object],
    name: str,
    ledger_dir: Path,
    what: str,
    problem: Callable[[], str | None],
    say: Callable[[str], None],
) -> bool:
    """Run `problem()` (None: the part is the signed one) unless the trusted record
    `name` in the checks directory equals `record` and the file is still `before`;
    write the record once it passed on a file that did not change meanwhile. True
    if checked now. The one mechanism behind the index's and the symbols' checks."""
    assert snapshot.path is not None
    place = ledger_dir / CHECKS_DIR / name
    if read_record(place) == record and identity(snapshot.path) == before:
        return False
    say(f"checking the {what} against the vendor's signature (once per snapshot file)")
    found = problem()
    if found is not None:
        raise SnapshotTampered(
            f"{snapshot.path}: refused: the snapshot was changed after the vendor signed it: "
            f"{found}; `cleanroom snapshot verify` says more"
        )
    if identity(snapshot.path) != before:
        raise SnapshotError(f"{snapshot.path}: the file changed while it was being checked")
    write_record(place, record)
    return True


def _private(st: os.stat_result) -> bool:
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_record(place: Path) -> dict[str, object] | None:
    """The record at `place` if it can be trusted, else None."""
    try:
        parent = os.lstat(place.parent)
        if not stat.S_ISDIR(parent.st_mode) or not _private(parent):
            return None
        fd = os.open(place, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _private(st) or st.st_size > MAX_RECORD:
            return None
        value = json.loads(os.read(fd, MAX_RECORD))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return value if isinstance(value, dict) else None


def write_record(place: Path, record: dict[str, object]) -> None:
    """Best effort: without a record the next session checks again. The ledger
    directory is made if it is not there yet (a first start with
    --create-ledger-dir checks before it is made; the record was lost, and the
    first restart checked the index again)."""
    try:
        place.parent.parent.mkdir(parents=True, exist_ok=True)
        place.parent.mkdir(mode=0o700, exist_ok=True)
        for stale in place.parent.glob(f".{place.name}.*.tmp"):  # left by a killed start
            stale.unlink(missing_ok=True)
        tmp = place.with_name(f".{place.name}.{os.getpid()}.tmp")
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        try:
            os.write(fd, json.dumps(record, sort_keys=True).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, place)
    except OSError:
        return
