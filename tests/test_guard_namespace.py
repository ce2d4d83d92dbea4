"""The air-gap check asks the host, not the namespace Cleanroom was started in
(cleanroom/guard/namespace.py): `unshare -n` on a networked machine no longer
passes. Synthetic /proc trees for each rule, then real `unshare -n` runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.guard.namespace import mismatch
from tests.test_e2e_tmux import BIN, review_command, workstation  # noqa: F401 - a fixture

DEV_HEADER = "Inter-|   Receive\n face |bytes\n"


def fake_proc(
    tmp: Path,
    namespaces: dict[str, str | None],
    parents: dict[str, str],
    dev: tuple[str, ...] = ("lo",),
    sys_net: tuple[str, ...] = ("lo",),
) -> tuple[Path, Path]:
    """A /proc with one directory per pid: ns/net a link to `namespaces[pid]` (None:
    unreadable, as another user's is), stat naming the parent, comm, net/dev."""
    proc = tmp / "proc"
    for pid, ns in namespaces.items():
        d = proc / pid
        (d / "ns").mkdir(parents=True)
        (d / "net").mkdir()
        if ns is not None:
            os.symlink(ns, d / "ns" / "net")
        comm = f"prog{pid}" if pid != "7" else "evil\x1b]0;x\x07"
        (d / "stat").write_text(f"{pid} ({comm}) S {parents.get(pid, '0')} 1 1 0\n")
        (d / "comm").write_text(comm + "\n")
        (d / "net" / "dev").write_text(DEV_HEADER + "".join(f"{n}: 0 0\n" for n in dev))
    net = tmp / "sys-net"
    net.mkdir()
    for name in sys_net:
        (net / name).mkdir()
    return proc, net


def test_same_namespace_as_pid_1_passes(tmp_path):
    proc, net = fake_proc(tmp_path, {"1": "net:[1]", "50": "net:[1]"}, {"50": "1"})
    assert mismatch(proc, net, pid=50) == ""


def test_another_namespace_than_pid_1_is_a_mismatch(tmp_path):
    proc, net = fake_proc(tmp_path, {"1": "net:[1]", "50": "net:[9]"}, {"50": "1"})
    assert "is not the host's (PID 1: net:[1])" in mismatch(proc, net, pid=50)


def test_pid_1_unreadable_then_the_ancestors_are_asked(tmp_path):
    """As for a reviewer: PID 1 belongs to root. Its own shell two levels up ran in
    the host's namespace; `unshare -n` made the one between."""
    tree = {"1": None, "40": "net:[1]", "45": "net:[9]", "50": "net:[9]", "7": None}
    proc, net = fake_proc(tmp_path, tree, {"50": "45", "45": "40", "40": "7", "7": "1"})
    why = mismatch(proc, net, pid=50)
    assert "ancestor prog40 (PID 40: net:[1])" in why
    assert "\x1b" not in why


def test_no_readable_ancestor_elsewhere_passes(tmp_path):
    tree = {"1": None, "40": "net:[9]", "50": "net:[9]"}
    proc, net = fake_proc(tmp_path, tree, {"50": "40", "40": "1"})
    assert mismatch(proc, net, pid=50) == ""


def test_sysfs_of_another_namespace_is_a_mismatch(tmp_path):
    proc, net = fake_proc(tmp_path, {"1": None, "50": "net:[9]"}, {"50": "1"},
                          dev=("lo",), sys_net=("lo", "eth0"))  # fmt: skip
    assert "(/sys/class/net: eth0, lo) are not this network namespace's (lo)" in mismatch(
        proc, net, pid=50
    )


def test_hostile_or_missing_proc_files_never_raise(tmp_path):
    proc, net = fake_proc(tmp_path, {"1": None, "50": "net:[9]"}, {"50": "50"})  # a loop
    (proc / "50" / "stat").write_bytes(b"50 (a) b) c) \xff\xfe")
    (proc / "50" / "net" / "dev").write_bytes(b"\xff" * 100)
    assert isinstance(mismatch(proc, net, pid=50), str)
    assert mismatch(tmp_path / "no-proc", net, pid=50) == ""


# -- for real -------------------------------------------------------------------------

PROBE = "from cleanroom.guard.network import read_network; print(read_network().explain())"


def unshare_available() -> None:
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -n is not permitted here")


def test_this_process_is_in_the_host_namespace():
    assert mismatch() == ""


def test_unshare_n_fails_the_air_gap_check():
    unshare_available()
    out = subprocess.run(["unshare", "-n", sys.executable, "-I", "-c", PROBE],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("not air-gapped: this process's network namespace"), out.stdout


def test_review_under_unshare_n_is_refused_before_anything_is_recorded(workstation):  # noqa: F811
    unshare_available()
    tmp = workstation
    out = subprocess.run(["sh", "-c", f"unshare -n {review_command(tmp)}"], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert "network namespace" in out.stderr and "--allow-network" in out.stderr
    assert list((tmp / "ledgers").glob("*.ledger")) == []
