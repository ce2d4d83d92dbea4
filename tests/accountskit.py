"""Real accounts for the end-to-end test of the split (issue 13): two throwaway
accounts made with useradd and removed after, a way to run a command as one of
them (setpriv, no systemd), and a Python those accounts can run.

The test's own interpreter usually lives under /root (mode 0700), which no other
account can enter. `portable_python` therefore builds a self-contained copy in a
world-readable temporary directory: the interpreter's prefix (hard links where
the filesystem allows, copies otherwise), the test environment's packages, and
Cleanroom itself installed as plain files (not the editable install, which points
into the work tree). /root's own mode is never touched. When the interpreter
finds libpython through an absolute RUNPATH under the inaccessible prefix, the
copy's RUNPATH is rewritten in place to `$ORIGIN/../lib` (what patchelf would do),
so no loader variable is needed: the launcher refuses those anyway (ADR 0201).
"""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import cleanroom

SKIP_STDLIB = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip",
               "lib2to3"}  # fmt: skip
SKIP_PACKAGES = ("__editable__", "cleanroom", "_pytest", "pytest", "hypothesis", "ruff", "pip",
                 "setuptools", "_distutils_hack", "distutils-precedence.pth")  # fmt: skip


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def _tree(src: Path, dst: Path, skip: set[str] | tuple[str, ...] = ()) -> None:
    def ignore(_dir: str, names: list[str]) -> list[str]:
        return [n for n in names if n in skip or any(n.startswith(s) for s in skip if s[-1] == "_")]

    shutil.copytree(src, dst, ignore=ignore if skip else None, copy_function=_link_or_copy,
                    symlinks=True, dirs_exist_ok=True)  # fmt: skip


def _open_runpath(binary: Path, prefix: Path) -> None:
    """Point the copy's RUNPATH (an absolute path in the old prefix) at its own lib/."""
    old = str(prefix / "lib").encode() + b"\0"
    new = b"$ORIGIN/../lib\0"
    data = binary.read_bytes()
    if data.count(old) == 1 and len(new) <= len(old):
        binary.write_bytes(data.replace(old, new.ljust(len(old), b"\0")))


def portable_python(dest: Path) -> Path:
    """A Python with Cleanroom installed that any account can run; its path."""
    prefix = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    real = Path(os.path.realpath(sys._base_executable))  # type: ignore[attr-defined]
    (dest / "bin").mkdir(parents=True)
    python = dest / "bin" / version
    shutil.copy2(real, python)  # a copy, never a link: its RUNPATH may be rewritten
    _open_runpath(python, prefix)
    lib = dest / "lib"
    lib.mkdir()
    for shared in prefix.joinpath("lib").glob("libpython*"):
        _link_or_copy(str(shared), str(lib / shared.name))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    _tree(stdlib, lib / version, SKIP_STDLIB)
    site = lib / version / "site-packages"
    venv_site = Path(sysconfig.get_paths()["purelib"])
    _tree(venv_site, site, tuple(s for s in SKIP_PACKAGES if s != "cleanroom") + ("__editable_",))
    package = Path(cleanroom.__file__).parent
    shutil.copytree(package, site / "cleanroom", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(site / "cleanroom", quiet=1)  # nobody else may write __pycache__
    os.chmod(dest, 0o755)
    for root, dirs, _files in os.walk(dest):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
    return python


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int


def _retry(*argv: str) -> None:
    """useradd and friends lock /etc/passwd (other tests may hold it a moment), and
    userdel refuses while a process of the account still ends (a terminal that
    tmux hung up on is still sealing): try again, for up to 30 seconds."""
    deadline = time.monotonic() + 30
    while True:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if out.returncode == 0:
            return
        busy = "lock" in out.stderr or "currently used by process" in out.stderr
        if not busy or time.monotonic() > deadline:
            raise RuntimeError(f"{' '.join(argv)}: {out.stderr.strip()}")
        time.sleep(0.25)


def create_account(role: str, system: bool) -> Account:
    """A new account (and its own group) with a name no other run uses."""
    import pwd

    name = f"cr{role}{uuid.uuid4().hex[:8]}"
    kind = ["--system"] if system else []
    _retry("useradd", *kind, "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
           "--shell", "/usr/sbin/nologin", name)  # fmt: skip
    entry = pwd.getpwnam(name)
    return Account(name, entry.pw_uid, entry.pw_gid)


def remove_account(account: Account) -> None:
    import grp

    _retry("userdel", account.name)
    try:
        grp.getgrnam(account.name)
    except KeyError:
        return
    _retry("groupdel", account.name)


def as_account(account: Account, *argv: str) -> list[str]:
    """`argv` run as `account`: its uid, gid and groups, a reset environment (TERM
    kept), and no way back (setpriv; no systemd, no PAM)."""
    return ["setpriv", f"--reuid={account.uid}", f"--regid={account.gid}", "--init-groups",
            "--reset-env", "--", *argv]  # fmt: skip
