"""The changes an install makes, as data: each says what it would do to the
system as it is now (`todo`), and does it only when asked.

A change that is already in place has nothing to do, so running the same plan
twice changes nothing the second time (idempotence), and `--dry-run` is the same
plan with nothing applied.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import accounts, placing


@dataclass(frozen=True)
class Todo:
    """One step still to do: what it is, in words, and the action that does it."""

    what: str
    do: Callable[[], None]


def _ids(owner: str, group: str) -> tuple[int, int]:
    uid, gid = accounts.uid_of(owner), accounts.gid_of(group)
    if uid is None or gid is None:
        raise accounts.AccountError(f"{owner}:{group} does not exist")
    return uid, gid


def _owner_mode(st, owner: str, group: str, mode: int) -> str | None:  # noqa: ANN001
    """What differs between `st` and the wanted owner and mode, in words, or None."""
    now = stat.S_IMODE(st.st_mode)
    if (st.st_uid, st.st_gid, now) == (accounts.uid_of(owner), accounts.gid_of(group), mode):
        return None
    return f"{accounts.owner_of(st)} {now:04o}"


@dataclass(frozen=True)
class Group:
    name: str

    def todo(self) -> list[Todo]:
        if accounts.group_id(self.name) is not None:
            return []
        return [
            Todo(
                f"create group {self.name}", lambda: accounts.run("groupadd", "--system", self.name)
            )
        ]


@dataclass(frozen=True)
class ServiceAccount:
    """The recorder's system account: no login shell, no home of its own."""

    name: str
    home: str

    def todo(self) -> list[Todo]:
        a = accounts.account(self.name)
        shell = accounts.nologin()
        if a is None:
            args = ("--system", "--user-group", "--no-create-home", "--home-dir", self.home)
            return [
                Todo(
                    f"create system account {self.name} (shell {shell}, home {self.home})",
                    lambda: accounts.run("useradd", *args, "--shell", shell, self.name),
                )
            ]
        if accounts.uses_nologin(a.shell):
            return []
        return [
            Todo(
                f"set the login shell of {self.name} to {shell} (was {a.shell})",
                lambda: accounts.run("usermod", "--shell", shell, self.name),
            )
        ]


@dataclass(frozen=True)
class Reviewer:
    """A reviewer account, created or adopted: in the group, the kiosk login as its shell."""

    name: str
    group: str
    kiosk: str

    def todo(self) -> list[Todo]:
        a = accounts.account(self.name)
        if a is None:
            args = ("--create-home", "--user-group", "--shell", self.kiosk, "--groups", self.group)
            return [
                Todo(
                    f"create reviewer {self.name} in {self.group}, login shell {self.kiosk}",
                    lambda: accounts.run("useradd", *args, self.name),
                )
            ]
        out = []
        if self.group not in accounts.groups_of(self.name):
            out.append(
                Todo(
                    f"add {self.name} to {self.group}",
                    lambda: accounts.run("usermod", "--append", "--groups", self.group, self.name),
                )
            )
        if a.shell != self.kiosk:
            out.append(
                Todo(
                    f"set the login shell of {self.name} to {self.kiosk} (was {a.shell or 'none'})",
                    lambda: accounts.run("usermod", "--shell", self.kiosk, self.name),
                )
            )
        return out


@dataclass(frozen=True)
class ParentDir:
    """A directory that must exist (/etc/systemd/system); created root 0755 if
    missing, never changed if present."""

    root: Path
    path: str

    def todo(self) -> list[Todo]:
        if placing.lstat(self.root, self.path) is not None:
            return []
        return [
            Todo(
                f"create directory {self.path} (root:root 0755)",
                lambda: placing.ensure_dir(self.root, self.path, 0, 0, 0o755),
            )
        ]


@dataclass(frozen=True)
class Dir:
    root: Path
    path: str
    owner: str
    group: str
    mode: int

    def todo(self) -> list[Todo]:
        st = placing.lstat(self.root, self.path)
        want = f"{self.owner}:{self.group} {self.mode:04o}"
        if st is not None and stat.S_ISDIR(st.st_mode):
            was = _owner_mode(st, self.owner, self.group, self.mode)
            what = None if was is None else f"set directory {self.path} to {want} (was {was})"
        else:
            what = f"create directory {self.path} ({want})"
        if what is None:
            return []
        return [Todo(what, self._do)]

    def _do(self) -> None:
        uid, gid = _ids(self.owner, self.group)
        placing.ensure_dir(self.root, self.path, uid, gid, self.mode)


@dataclass(frozen=True)
class File:
    """A file placed with its owner and mode: copied from a source file or written
    from bytes. With `keep`, an existing file keeps its content (an edited
    workstation.toml) and only its owner and mode are set."""

    root: Path
    path: str
    source: bytes | Path
    owner: str
    group: str
    mode: int
    keep: bool = False

    def todo(self) -> list[Todo]:
        st = placing.lstat(self.root, self.path)
        want = f"{self.owner}:{self.group} {self.mode:04o}"
        origin = "" if isinstance(self.source, bytes) else f" from {self.source}"
        if st is None:
            return [Todo(f"write {self.path}{origin} ({want})", self._write)]
        if not stat.S_ISREG(st.st_mode):
            return [
                Todo(f"replace {self.path}, not a regular file, {origin} ({want})", self._write)
            ]
        if not self.keep and placing.digest_of(self.root, self.path) != placing.source_digest(
            self.source
        ):
            return [Todo(f"replace {self.path}{origin}: its content differs ({want})", self._write)]
        was = _owner_mode(st, self.owner, self.group, self.mode)
        if was is None:
            return []
        return [Todo(f"set {self.path} to {want} (was {was})", self._chmod)]

    def _write(self) -> None:
        uid, gid = _ids(self.owner, self.group)
        placing.write_file(self.root, self.path, self.source, uid, gid, self.mode)

    def _chmod(self) -> None:
        uid, gid = _ids(self.owner, self.group)
        placing.set_owner_mode(self.root, self.path, uid, gid, self.mode)


@dataclass(frozen=True)
class RecorderSetting:
    """One `[recorder]` setting in a workstation.toml that install keeps (an edited
    one): added, or put right, with the rest of the file left as it is. A config
    still to be written gets it from its template, so a missing file needs nothing."""

    root: Path
    path: str
    key: str
    value: str  # a checked absolute path (templates.py): safe inside a TOML string

    def todo(self) -> list[Todo]:
        text = placing.read_file(self.root, self.path, MAX_CONFIG)
        if text is None:
            return []
        lines = text.decode("utf-8", errors="replace").splitlines()
        want = f'{self.key} = "{self.value}"'
        table, at, found = "", None, None
        for i, line in enumerate(lines):
            bare = line.strip()
            if bare.startswith("["):
                table = bare
                if bare == "[recorder]":
                    at = i + 1
            elif table == "[recorder]" and bare.split("=", 1)[0].strip() == self.key:
                found = i
        if found is not None and lines[found].strip() == want:
            return []
        if found is not None:
            what = f"set [recorder] {self.key} in {self.path} to {self.value} (was: {lines[found]})"
            lines[found] = want
        elif at is not None:
            lines.insert(at, want)
            what = f"add [recorder] {self.key} = {self.value} to {self.path}"
        else:
            lines += ["", "[recorder]", want]
            what = f"add a [recorder] table with {self.key} = {self.value} to {self.path}"
        st = placing.lstat(self.root, self.path)
        assert st is not None
        data = ("\n".join(lines) + "\n").encode("utf-8")
        return [
            Todo(
                what,
                lambda: placing.write_file(
                    self.root, self.path, data, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)
                ),
            )
        ]


MAX_CONFIG = 1024 * 1024
Change = Group | ServiceAccount | Reviewer | ParentDir | Dir | File | RecorderSetting
