"""A local cache of verification results, keyed by the exact bytes of each ledger.

Verifying a hundred ledgers takes seconds; asking who viewed a file should not.
The cache maps a *content key* to a record (a `SessionIndex`: verdict, searches,
part digests) and to parts (intervals per path). Trust assumption, in full in
docs/adr/0300-forensics-tampered-and-cache.md:

- The key is SHA-256 over the ledger's bytes and those of its `-wal` and
  `-journal` (by data extents, so holes cost nothing), the trusted key ids,
  and the source of the code that judged and decoded it (`verifier_identity`).
  Other bytes, other keys or a changed verifier give another key: an entry is
  never reused for anything but what produced it. A verdict is stored under the
  key of the private copy it was verified from (`keyed_copy`, ADR 0314), so it
  is the verdict on exactly the bytes its key names, whatever the evidence
  directory does meanwhile.
- Only this tool writes the cache, in a private directory of the user's own
  (0700; default `$XDG_CACHE_HOME/cleanroom`), never beside the ledgers: the
  verifier does not write near evidence (ADR 0004), and a cache that came with
  the evidence would be the evidence vouching for itself.
- Each record carries an HMAC-SHA256 under a key the cache directory can never
  supply: a random user key kept in the user's own state directory (0600 in
  0700; `$XDG_STATE_HOME/cleanroom`, else `~/.local/state/cleanroom`), never in
  any cache directory, bound to the cache directory's identity (device and
  inode). A cache directory that came with the evidence (its own key file and
  database, as an attacker's tool writes them), a copy of one of ours, or a
  file edited without the key, is ignored, never believed, and each ledger is
  verified again (ADR 0308). Each part is checked against the digest inside its
  record.
- The database is opened read-write, so it is never handed to SQLite with a
  `-journal` or `-wal` beside it, and its schema is checked before a row is
  read; anything else is set aside and a fresh cache started (`cache_file.py`).
- It cannot protect against someone who can already act as you on this machine
  (they hold the key, and could change this program). For findings you will
  rely on, re-run with `--no-cache`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pwd
import secrets
import sqlite3
import stat
from collections.abc import Sequence
from functools import cache as memoize
from pathlib import Path

from ..ledger.journal import READS_AT_END
from ..ledger.keys import key_id
from ..ledger.load import SIDECARS
from ..ledger.regular_file import hash_data, open_regular
from .cache_file import open_cache_db

CACHE_ENV = "CLEANROOM_CACHE_DIR"
KEY_DOMAIN = b"cleanroom:forensics-cache:v1\x00"
MAC_DOMAIN = b"cleanroom:forensics-cache-mac:v1\x00"
BIND_DOMAIN = b"cleanroom:forensics-cache-dir:v1\x00"
DB_NAME = "forensics-cache.sqlite"
KEY_NAME = "forensics-cache.key"
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (key BLOB PRIMARY KEY, record BLOB NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS parts (key BLOB, name BLOB, data BLOB NOT NULL,
                                  PRIMARY KEY (key, name)) WITHOUT ROWID;
"""
# The code whose behaviour a cached result depends on.
_JUDGES = ["ledger/*.py", "session/events.py", "forensics/timeline.py", "forensics/fits.py",
           "forensics/screen.py", "forensics/sessionindex.py", "forensics/cache.py",
           "jsonsafe.py"]  # fmt: skip


class CacheUnusable(Exception):
    """The cache directory or key is not private to this user; run without a cache."""


def default_dir() -> Path:
    """$CLEANROOM_CACHE_DIR, else $XDG_CACHE_HOME/cleanroom, else ~/.cache/cleanroom.
    A relative value of either variable is ignored (the XDG spec calls it invalid):
    it would follow the working directory, which may be the evidence's."""
    own = os.environ.get(CACHE_ENV, "")
    if os.path.isabs(own):
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(_home(), ".cache")
    return Path(base) / "cleanroom"


def key_dir() -> Path:
    """Where the user key lives: $XDG_STATE_HOME/cleanroom, else
    ~/.local/state/cleanroom; never a cache directory, so no --cache-dir or
    $CLEANROOM_CACHE_DIR pointed at files that came with evidence supplies it."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(_home(), ".local", "state")
    return Path(base) / "cleanroom"


def _home() -> str:
    """$HOME if it is absolute, else the password database's home: Python reads
    an empty $HOME as the root directory, and a relative one as the working one."""
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return home
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:  # no entry: no home to cache in but the one Python would use
        return os.path.expanduser("~")


@memoize
def verifier_identity() -> bytes:
    """SHA-256 over the source of the code that judges and decodes ledgers."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for pattern in _JUDGES:
        for path in sorted(root.glob(pattern)):
            h.update(str(path.relative_to(root)).encode() + b"\x00")
            h.update(path.read_bytes())
    return h.digest()


def ledger_key(path: Path, trust: Sequence[bytes]) -> bytes:
    """The content key of the ledger at `path` (and its sidecars) under `trust`.
    A key names bytes, not a file: a verdict is stored under the key of the very
    bytes it judged, taken from a private copy (`keyed_copy`, ADR 0314). Raises
    OSError if the ledger cannot be read."""
    h = hashlib.sha256(KEY_DOMAIN + verifier_identity())
    for k in sorted(key_id(t) for t in trust):
        h.update(k.encode() + b"\x00")
    real = os.path.realpath(path)  # sidecars lie beside the real file, as for the verifier
    for suffix in ("", *SIDECARS):
        name = real + suffix
        if suffix and not os.path.lexists(name):
            h.update(b"absent" + suffix.encode())
            continue
        # Never blocks: a FIFO, device or link named like a sidecar is keyed by its
        # kind, as the loader ignores it; O_NONBLOCK covers one swapped in meanwhile.
        mode = os.lstat(name).st_mode
        if suffix and not stat.S_ISREG(mode):
            h.update(b"special" + suffix.encode() + mode.to_bytes(4, "big"))
            continue
        opened = open_regular(name)
        if opened is None:  # swapped for a FIFO or device since the lstat
            h.update(b"special" + suffix.encode() + mode.to_bytes(4, "big"))
            continue
        fd, st = opened
        try:
            h.update(b"file" + suffix.encode())
            h.update(st.st_size.to_bytes(8, "big"))
            if suffix == "-journal":  # read only at its end: keyed by what is read
                keep = min(st.st_size, READS_AT_END)  # (the keyed copy holds that: atk14b F2)
                h.update(os.pread(fd, keep, st.st_size - keep))
            else:
                hash_data(h, fd, st.st_size)
        finally:
            os.close(fd)
    return h.digest()


class Cache:
    def __init__(
        self, conn: sqlite3.Connection, mac_key: bytes, directory: Path, notices: Sequence[str] = ()
    ) -> None:
        self._conn = conn
        self._mac_key = mac_key
        self.directory = directory
        self.notices = tuple(notices)  # what was set aside on opening, for the user to see

    @classmethod
    def open(cls, directory: Path | None = None, keys: Path | None = None) -> Cache:
        """Open (creating if needed) the cache in `directory`, authenticated by the
        user key in `keys` (default `key_dir()`). Raises CacheUnusable when either
        directory, the key or the database is not private to this user. A database
        with a journal this tool did not leave, or not of the cache's schema, is set
        aside and a fresh one started (`cache_file.py`); `notices` says so."""
        directory = Path(directory or default_dir())
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _check_private(directory, 0o022)
            mac_key = directory_key(directory, keys)
            conn, notices = open_cache_db(directory / DB_NAME, SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CacheUnusable(f"{directory}: {exc}") from exc
        try:
            _check_private(directory / DB_NAME, 0o022)
        except (OSError, CacheUnusable) as exc:
            conn.close()
            raise CacheUnusable(f"{directory / DB_NAME}: {exc}") from exc
        return cls(conn, mac_key, directory, notices)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _mac(self, key: bytes, record: bytes) -> bytes:
        return hmac.new(self._mac_key, MAC_DOMAIN + key + record, hashlib.sha256).digest()

    def get(self, key: bytes) -> bytes | None:
        """The record stored under `key`, or None if absent or not authentic."""
        try:
            row = self._conn.execute(
                "SELECT record, mac FROM records WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or not isinstance(row[0], bytes) or not isinstance(row[1], bytes):
            return None
        return row[0] if hmac.compare_digest(self._mac(key, row[0]), row[1]) else None

    def part(self, key: bytes, name: bytes, digest_hex: str) -> bytes | None:
        """The part `name` of `key`, or None unless its SHA-256 is `digest_hex`
        (a digest taken from an authenticated record)."""
        try:
            row = self._conn.execute(
                "SELECT data FROM parts WHERE key = ? AND name = ?", (key, name)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or not isinstance(row[0], bytes):
            return None
        return row[0] if hashlib.sha256(row[0]).hexdigest() == digest_hex else None

    def put(self, key: bytes, record: bytes, parts: dict[bytes, bytes]) -> None:
        """Store a record and its parts. A failure to write is not an error: the
        cache is only an optimisation."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM parts WHERE key = ?", (key,))
            self._conn.executemany(
                "INSERT INTO parts (key, name, data) VALUES (?, ?, ?)",
                [(key, n, d) for n, d in parts.items()],
            )
            self._conn.execute(
                "INSERT OR REPLACE INTO records (key, record, mac) VALUES (?, ?, ?)",
                (key, record, self._mac(key, record)),
            )
            self._conn.execute("COMMIT")
        except sqlite3.Error:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")


def _check_private(path: Path, forbidden: int) -> None:
    st = os.stat(path, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        raise CacheUnusable(f"{path} is a symbolic link")
    if st.st_uid != os.getuid():
        raise CacheUnusable(f"{path} belongs to another user")
    if st.st_mode & forbidden:
        raise CacheUnusable(f"{path} is writable by others (mode {st.st_mode & 0o777:o})")


def directory_key(directory: Path, keys: Path | None = None) -> bytes:
    """The MAC key for what this program caches in `directory` (who-viewed's records,
    notes check's name tables): the user key in `keys` (default `key_dir()`, made
    if absent), never one the cache directory holds, bound to the directory's
    device and inode, so a directory shipped or copied never verifies. Raises
    OSError or CacheUnusable."""
    keys = Path(keys or key_dir())
    keys.mkdir(mode=0o700, parents=True, exist_ok=True)
    _check_private(keys, 0o022)
    user_key = _key(keys / KEY_NAME)
    st = os.stat(directory, follow_symlinks=False)
    ident = BIND_DOMAIN + st.st_dev.to_bytes(8, "big") + st.st_ino.to_bytes(8, "big")
    return hmac.new(user_key, ident, hashlib.sha256).digest()


def _key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        _check_private(path, 0o077)
        opened = open_regular(path)  # never a link, never waits on a FIFO
        if opened is None:
            raise CacheUnusable(f"{path} is not a regular file") from None
        with os.fdopen(opened[0], "rb") as f:
            data = f.read(33)
        if len(data) != 32:
            raise CacheUnusable(f"{path} is not a cache key") from None
        return data
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
