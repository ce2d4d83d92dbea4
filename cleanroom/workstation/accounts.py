"""The system's accounts and groups: reading them, and changing them with the
shadow tools (useradd, groupadd, usermod), never by editing /etc/passwd.

Accounts are always the real system's, whatever the install prefix: a reviewer
logs in through the system's own databases.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from dataclasses import dataclass

from ..sanitize import clean

# Where a service account's shell should point; the first that exists is used.
NOLOGIN = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false")
# Groups whose members can become root, read any disk, or read the logs.
PRIVILEGED_GROUPS = ("root", "sudo", "wheel", "admin", "adm", "disk", "docker", "lxd", "shadow")
TOOL_DIRS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")


class AccountError(RuntimeError):
    """A shadow tool failed; the message says which and why."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: str
    shell: str


def account(name: str) -> Account | None:
    try:
        p = pwd.getpwnam(name)
    except KeyError:
        return None
    return Account(p.pw_name, p.pw_uid, p.pw_gid, p.pw_dir, p.pw_shell)


def group_id(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def groups_of(name: str) -> set[str]:
    """Every group `name` is in: its primary group and each that lists it."""
    a = account(name)
    if a is None:
        return set()
    names = {g.gr_name for g in grp.getgrall() if name in g.gr_mem}
    try:
        names.add(grp.getgrgid(a.gid).gr_name)
    except KeyError:
        pass
    return names


def members(group: str) -> list[str]:
    """The accounts in `group`: listed in it, or having it as their primary group."""
    try:
        g = grp.getgrnam(group)
    except KeyError:
        return []
    found = set(g.gr_mem) | {p.pw_name for p in pwd.getpwall() if p.pw_gid == g.gr_gid}
    return sorted(found)


def uid_of(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def gid_of(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def owner_of(st: os.stat_result) -> str:
    """`user:group` of a file, by name where the system has one."""
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"{user}:{group}"


def nologin() -> str:
    return next((p for p in NOLOGIN if os.path.exists(p)), NOLOGIN[0])


def uses_nologin(shell: str) -> bool:
    return os.path.basename(shell) in ("nologin", "false")


def run(tool: str, *args: str) -> None:
    """Run a shadow tool by absolute path; AccountError with its message on failure."""
    path = next(
        (os.path.join(d, tool) for d in TOOL_DIRS if os.path.exists(os.path.join(d, tool))), None
    )
    if path is None:
        raise AccountError(f"{tool} is not installed (Debian: apt-get install passwd)")
    done = subprocess.run([path, *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        why = clean(done.stderr.strip() or f"exit {done.returncode}")
        raise AccountError(f"{tool} {' '.join(clean(a) for a in args)}: {why}")
