"""Directories and files under the install prefix, never through a symlink.

Every path is walked from the prefix one component at a time with
O_NOFOLLOW|O_DIRECTORY file descriptors, and every change is made through a
descriptor (fchown, fchmod, a rename within one directory). A symlink anywhere
below the prefix, planted to redirect a key or the snapshot elsewhere, is
refused with PlacingError, never followed. Files are replaced atomically: a
temporary file beside the target, written, synced, given its owner and mode,
then renamed over it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..sanitize import clean

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
CHUNK = 1 << 20


class PlacingError(RuntimeError):
    """A path below the prefix is not what it must be (a symlink, a file for a directory)."""


def open_root(root: Path) -> int:
    """A descriptor on the prefix itself. PlacingError if it is a symlink or no directory:
    a prefix that is a link would put every file wherever the link points."""
    try:
        st = os.lstat(root)
    except OSError as exc:
        raise PlacingError(f"{clean(root)}: {exc.strerror}") from exc
    if stat.S_ISLNK(st.st_mode):
        raise PlacingError(f"{clean(root)} is a symlink; give the real directory")
    if not stat.S_ISDIR(st.st_mode):
        raise PlacingError(f"{clean(root)} is not a directory")
    return os.open(root, DIR_FLAGS)


@contextlib.contextmanager
def parent(root: Path, final: str, create: bool = False) -> Iterator[int]:
    """A descriptor on the directory that holds `final` below `root`. Missing
    directories on the way are created root-owned, mode 0755, when `create`;
    otherwise FileNotFoundError. PlacingError for a symlink or a non-directory."""
    parts = [p for p in final.split("/") if p]
    fd = open_root(root)
    try:
        for part in parts[:-1]:
            next_fd = _step(fd, part, root, create)
            os.close(fd)
            fd = next_fd
        yield fd
    finally:
        os.close(fd)


def _step(fd: int, name: str, root: Path, create: bool) -> int:
    """A descriptor on the directory `name` in `fd` (which stays open)."""
    st = _lstat(fd, name)
    if st is None:
        if not create:
            raise FileNotFoundError(name)
        os.mkdir(name, 0o755, dir_fd=fd)
        st = _lstat(fd, name)
    if st is None or not stat.S_ISDIR(st.st_mode):
        kind = "a symlink" if st is not None and stat.S_ISLNK(st.st_mode) else "not a directory"
        raise PlacingError(f"{clean(name)} under {clean(root)} is {kind}; not followed")
    return os.open(name, DIR_FLAGS, dir_fd=fd)


def _lstat(fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def lstat(root: Path, final: str) -> os.stat_result | None:
    """What is at `final` (not following a final symlink), or None if it or a parent
    is missing. PlacingError if a parent is a symlink."""
    try:
        with parent(root, final) as fd:
            return _lstat(fd, os.path.basename(final))
    except FileNotFoundError:
        return None


def ensure_dir(root: Path, final: str, uid: int, gid: int, mode: int) -> None:
    """`final` is a directory with this owner and mode, created if missing."""
    name = os.path.basename(final)
    with parent(root, final, create=True) as fd:
        st = _lstat(fd, name)
        if st is None:
            os.mkdir(name, 0o700, dir_fd=fd)
        elif stat.S_ISLNK(st.st_mode):
            raise PlacingError(f"{clean(final)} is a symlink; not followed")
        try:
            d = os.open(name, DIR_FLAGS, dir_fd=fd)
        except OSError as exc:  # ELOOP for a symlink, ENOTDIR for a file
            raise PlacingError(f"{clean(final)} is not a directory ({exc.strerror})") from exc
        try:
            os.fchown(d, uid, gid)
            os.fchmod(d, mode)
        finally:
            os.close(d)


def set_owner_mode(root: Path, final: str, uid: int, gid: int, mode: int) -> None:
    """Give the existing regular file `final` this owner and mode."""
    name = os.path.basename(final)
    with parent(root, final) as fd:
        f = _open_regular(fd, name, final)
        try:
            os.fchown(f, uid, gid)
            os.fchmod(f, mode)
        finally:
            os.close(f)


def _open_regular(fd: int, name: str, final: str) -> int:
    try:  # O_NONBLOCK: a FIFO planted here is refused, not waited on
        f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
    except OSError as exc:
        raise PlacingError(f"{clean(final)}: {exc.strerror}") from exc
    if not stat.S_ISREG(os.fstat(f).st_mode):
        os.close(f)
        raise PlacingError(f"{clean(final)} is not a regular file")
    return f


def digest_of(root: Path, final: str) -> str | None:
    """SHA-256 of the regular file `final`, or None if it is missing."""
    name = os.path.basename(final)
    try:
        with parent(root, final) as fd:
            if _lstat(fd, name) is None:
                return None
            f = _open_regular(fd, name, final)
            with os.fdopen(f, "rb") as stream:
                return _digest(stream)
    except FileNotFoundError:
        return None


def read_file(root: Path, final: str, limit: int) -> bytes | None:
    """At most `limit` bytes of the regular file `final` (never through a symlink),
    or None if it is missing. PlacingError for anything else there."""
    name = os.path.basename(final)
    try:
        with parent(root, final) as fd:
            if _lstat(fd, name) is None:
                return None
            with os.fdopen(_open_regular(fd, name, final), "rb") as stream:
                return stream.read(limit)
    except FileNotFoundError:
        return None


def _digest(stream) -> str:  # noqa: ANN001 - any binary file object
    h = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        h.update(chunk)
    return h.hexdigest()


def write_file(root: Path, final: str, source: bytes | Path, uid: int, gid: int, mode: int) -> None:
    """Replace `final` atomically with `source` (bytes, or a file to copy), owned by
    uid:gid with `mode`. An existing symlink at `final` is replaced, never followed."""
    name = os.path.basename(final)
    tmp = f".{name}.cleanroom-tmp"
    with parent(root, final, create=True) as fd:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=fd)  # left by an install that was killed
        f = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=fd)
        try:
            with os.fdopen(f, "wb", closefd=False) as out:
                if isinstance(source, bytes):
                    out.write(source)
                else:
                    with open(source, "rb") as src:
                        while chunk := src.read(CHUNK):
                            out.write(chunk)
                out.flush()
                os.fsync(f)
            os.fchown(f, uid, gid)
            os.fchmod(f, mode)
        except BaseException:
            os.close(f)
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
        os.close(f)
        os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        os.fsync(fd)


def source_digest(source: bytes | Path) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    with open(source, "rb") as stream:
        return _digest(stream)
