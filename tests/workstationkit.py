"""A real workstation for tests: unique accounts made with useradd and removed
afterwards, files under a --root prefix, the real `cleanroom workstation` CLI.

Accounts are real (the tests run as root, as CI does); nothing is mocked. Each
Room's names share a random prefix, and teardown removes every account and
group with that prefix, whatever the test left behind.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cleanroom.workstation import layout

SHADOW_TOOLS = ("useradd", "groupadd", "usermod", "userdel", "groupdel")


def need_shadow_tools() -> None:
    """Install the shadow tools when missing, as scripts/system-packages.sh does for
    tmux: these tests never skip."""
    if all(shutil.which(t) or os.path.exists(f"/usr/sbin/{t}") for t in SHADOW_TOOLS):
        return
    subprocess.run(["apt-get", "install", "-y", "-qq", "passwd"], check=True, timeout=600)


def cleanroom(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """The real command, isolated as the installed launcher runs it."""
    return subprocess.run(
        [sys.executable, "-I", "-m", "cleanroom", *args],
        capture_output=True, text=True, timeout=300, check=check,
    )  # fmt: skip


def as_user(user: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """`argv` run as `user` with their groups, through setpriv (no PAM, no shell)."""
    return subprocess.run(
        ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}", "--init-groups",
         "--", *argv],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@dataclass
class Room:
    root: Path
    prefix: str
    sources: dict[str, Path] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return f"{self.prefix}s"

    @property
    def group(self) -> str:
        return f"{self.prefix}g"

    def reviewer(self, n: int = 1) -> str:
        return f"{self.prefix}r{n}"

    def at(self, final: str) -> Path:
        return self.root / final.lstrip("/")

    def names(self) -> list[str]:
        return ["--root", str(self.root), "--service-account", self.service, "--group", self.group]

    def install(self, *extra: str, org: str | None = "Agency") -> subprocess.CompletedProcess[str]:
        files = []
        for option, path in self.sources.items():
            files += [option, str(path)]
        named = ["--org", org] if org is not None else []
        return cleanroom("workstation", "install", *self.names(), *files, *named, *extra)

    def check(self, *extra: str) -> tuple[int, dict]:
        """`check --json`, run in this process (the same code on the same real files
        and accounts; a process per check made these tests slow)."""
        code, out = self.check_text("--json", *extra)
        assert code in (0, 1), out
        return code, json.loads(out)

    def check_text(self, *extra: str) -> tuple[int, str]:
        from click.testing import CliRunner

        from cleanroom.cli import main

        result = CliRunner().invoke(main, ["workstation", "check", *self.names(), *extra])
        return result.exit_code, result.output

    def codes(self, *extra: str) -> set[str]:
        return {p["code"] for p in self.check(*extra)[1]["problems"]}

    def adopt(self, name: str, home: Path, shell: str = "/bin/bash") -> None:
        """An account that exists before the install, with a real shell."""
        subprocess.run(
            ["useradd", "--create-home", "--home-dir", str(home), "--shell", shell, name],
            check=True, capture_output=True,
        )  # fmt: skip

    def remove(self) -> None:
        for p in pwd.getpwall():
            if p.pw_name.startswith(self.prefix):
                subprocess.run(["userdel", "--remove", p.pw_name], capture_output=True)
        for g in grp.getgrall():
            if g.gr_name.startswith(self.prefix):
                subprocess.run(["groupdel", g.gr_name], capture_output=True)
        for home in Path("/dev/shm").glob(f"{self.prefix}*"):  # adopted homes moved away
            shutil.rmtree(home, ignore_errors=True)


def new_prefix() -> str:
    return "cw" + secrets.token_hex(3)


def socket_like_the_recorder(room: Room) -> Path:
    """The run directory and socket as the unit and recorder make them: the
    directory service:group 2750 (setgid), the socket bound in it with the
    recorder's umask (0117), so its group comes from the directory, not a chown."""
    import socket

    run = room.at(layout.RUN)
    run.mkdir(parents=True, exist_ok=True)
    uid, gid = pwd.getpwnam(room.service).pw_uid, grp.getgrnam(room.group).gr_gid
    os.chown(run, uid, gid)
    os.chmod(run, 0o2750)
    path = room.at(layout.SOCKET)
    old = os.umask(0o117)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(path))
        s.close()
    finally:
        os.umask(old)
    assert path.stat().st_gid == gid  # inherited from the setgid directory
    os.chown(path, uid, -1)  # the recorder binds it as the service account
    return path


# -- fixtures (registered by tests/conftest.py as a plugin) ---------------------


@pytest.fixture
def room():
    """A workstation under a fresh prefix with unique real accounts
    (tests/workstationkit.py). The prefix is made outside pytest's own 0700 tree so
    that a reviewer account can reach it: their EACCES must come from the layout."""
    need_shadow_tools()
    base = Path(tempfile.mkdtemp(prefix="cleanroom-room-", dir="/tmp"))
    base.chmod(0o755)
    root = base / "root"
    root.mkdir(mode=0o755)
    r = Room(root, new_prefix())
    try:
        yield r
    finally:
        r.remove()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def room_sources(tmp_path_factory) -> dict[str, Path]:
    """A real vendor-signed snapshot, workstation key, certificate and vendor key."""
    from tests.snapshotkit import small_tree

    d = tmp_path_factory.mktemp("room-sources")
    cleanroom("keys", "vendor-init", "--dir", str(d), check=True)
    cleanroom("keys", "workstation-init", "--dir", str(d), check=True)
    cleanroom(
        "keys", "certify", "--vendor-key", str(d / "vendor.key"), "--workstation-pub",
        str(d / "workstation.pub"), "--id", "ws-test", "-o", str(d / "workstation.cert"),
        check=True,
    )  # fmt: skip
    src = d / "src"
    src.mkdir()
    small_tree(src)
    snap = d / "product.snapshot"
    cleanroom(
        "snapshot", "create", str(src), "-o", str(snap), "--vendor-key", str(d / "vendor.key"),
        check=True,
    )  # fmt: skip
    return {
        "--snapshot": snap,
        "--workstation-key": d / "workstation.key",
        "--cert": d / "workstation.cert",
        "--trust": d / "vendor.pub",
    }
