"""Python's own ways into the reviewer process are closed (cleanroom/isolation.py,
ADR 0201): PYTHON* variables, the user site and a prompt after the program ends.

Each hostile hook below leaves a canary file when it runs; none may appear, and
no `>>>` prompt may follow a session, in a real terminal (tmux)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def hostile_environment(tmp: Path) -> tuple[dict[str, str], Path]:
    """Every PYTHON* hook that can run code or change the process, each pointing at
    code that drops a file in `canaries` when it runs."""
    canaries = tmp / "canaries"
    canaries.mkdir()
    lib = tmp / "hostile"
    lib.mkdir()

    def drop(name: str) -> str:
        return f"open({str(canaries / name)!r}, 'w').write('ran')\n"

    (lib / "sitecustomize.py").write_text(drop("sitecustomize"))
    (lib / "rfc8785.py").write_text(drop("shadowed-module"))  # a dependency, shadowed
    (lib / "startup.py").write_text(drop("startup"))
    (lib / "hook.py").write_text(f"def trap(*a, **k):\n    {drop('breakpoint')}")
    user_site = tmp / "userbase" / "lib" / f"python{VERSION}" / "site-packages"
    user_site.mkdir(parents=True)
    (user_site / "usercustomize.py").write_text(drop("usercustomize"))
    env = {
        "PYTHONINSPECT": "1",
        "PYTHONPATH": str(lib),
        "PYTHONSTARTUP": str(lib / "startup.py"),
        "PYTHONUSERBASE": str(tmp / "userbase"),
        "PYTHONBREAKPOINT": "hook.trap",
        "PYTHONWARNINGS": "error",
        "PYTHONMALLOC": "debug",
        "PYTHONDEVMODE": "1",
        "PYTHONFAULTHANDLER": "1",
        "PYTHONTRACEMALLOC": "5",
        "PYTHONPROFILEIMPORTTIME": "1",
        "PYTHONASYNCIODEBUG": "1",
        "PYTHONSAFEPATH": "",
        "PYTHONDEBUG": "1",
        "PYTHONVERBOSE": "1",
        "TERM": "xterm-256color",
    }
    return env, canaries


def test_the_installed_command_ignores_every_python_variable(tmp_path):
    env, canaries = hostile_environment(tmp_path)
    env["PYTHONHOME"] = str(tmp_path / "no-such-python")  # would stop a normal start
    probe = (
        "import json, sys, os; print(json.dumps([sys.flags.isolated, sys.flags.inspect,"
        " sorted(k for k in os.environ if k.startswith('PYTHON'))]))"
    )
    out = subprocess.run([f"{BIN}/cleanroom", "--version"], capture_output=True, text=True,
                         env=env, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("cleanroom, version") and "import time" not in out.stderr
    assert sorted(p.name for p in canaries.iterdir()) == []
    # the launcher's interpreter, as the launcher starts it
    launcher = (BIN / "cleanroom").read_text()
    assert '-I -m cleanroom "$@"' in launcher
    py = subprocess.run([f"{BIN}/python3", "-I", "-c", probe], capture_output=True, text=True,
                        env=env, timeout=60)  # fmt: skip
    assert py.stdout.strip().startswith("[1, 0, "), py.stderr


def session_in_tmux(tmp: Path, command: str, env: dict[str, str]) -> str:
    """Run a demo session in tmux to its seal; the screen after the program ended."""
    term = Tmux(tmp)
    try:
        term.start(f"{command}; echo EXIT=$?; sleep 30", env)
        term.wait_for("paper log", timeout=120)
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        return term.wait_for("EXIT=", timeout=60)
    except AssertionError:
        return term.screen()
    finally:
        term.close()


def test_no_prompt_and_no_foreign_code_after_a_session(tmp_path):
    env, canaries = hostile_environment(tmp_path)
    screen = session_in_tmux(tmp_path, f"{BIN}/cleanroom demo --dir {tmp_path}/demo", env)
    assert ">>>" not in screen, screen
    assert "EXIT=0" in screen and "INTACT" in screen, screen
    assert sorted(p.name for p in canaries.iterdir()) == []


def test_python_m_cleanroom_runs_itself_again_isolated(tmp_path):
    """Started as `python -m cleanroom` (not isolated), it re-executes itself with -I
    before it imports anything: PYTHONINSPECT gives no prompt after the seal.
    (A sitecustomize on PYTHONPATH has run by then: only the launcher stops that.)"""
    env = {"PYTHONINSPECT": "1", "TERM": "xterm-256color"}
    command = f"{BIN}/python -m cleanroom demo --dir {tmp_path}/demo"
    screen = session_in_tmux(tmp_path, command, env)
    assert ">>>" not in screen, screen
    assert "EXIT=0" in screen, screen


def test_a_prompt_at_exit_is_refused_by_the_audit_policy(tmp_path):
    """Should an interactive prompt still be about to open when the program ends
    (here: -i given explicitly), the policy ends the process instead."""
    code = "from cleanroom.tui import audit; audit.install([]); print('policy in')"
    term = Tmux(tmp_path)
    try:
        term.start(f'{BIN}/python -I -i -c "{code}"; echo EXIT=$?; sleep 30')
        screen = term.wait_for("EXIT=", timeout=30)
    finally:
        term.close()
    assert "policy in" in screen and ">>>" not in screen, screen
    assert "EXIT=1" in screen and "an interactive prompt" in screen


@pytest.mark.parametrize("command", ["demo", "replay"])
def test_demo_and_replay_refuse_too(tmp_path, command):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cleanroom.ledger.keys import Role, write_public_key

    key = Ed25519PrivateKey.generate().public_key()
    write_public_key(tmp_path / "v.pub", key, role=Role.VENDOR_ROOT)
    args = {
        "demo": ["demo", "--dir", str(tmp_path / "d")],
        "replay": ["replay", str(tmp_path / "x.ledger"), "--snapshot", "s",
                   "--trust", str(tmp_path / "v.pub")],
    }  # fmt: skip
    argv = [sys.executable, "-c", "from cleanroom.cli import main; main()", *args[command]]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert "must run in an isolated Python" in out.stderr
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("how", ["-c", "-m"])
def test_the_terminal_refuses_to_start_in_a_python_that_is_not_isolated(tmp_path, how):
    """`review` in a Python that honours the environment stops before it records
    anything: a plain usage error, exit 2."""
    args = ["review", "--in-process", "--snapshot", "x", "--ledger-dir", str(tmp_path / "l"),
            "--workstation-key", "k", "--cert", "c", "--trust", "t", "--reviewer", "r",
            "--org", "o"]  # fmt: skip
    if how == "-c":
        argv = [sys.executable, "-c", "import sys; from cleanroom.cli import main; main()", *args]
    else:  # re-executed isolated, then refused for the missing files: never for isolation
        argv = [sys.executable, "-m", "cleanroom", *args]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    if how == "-c":
        assert "must run in an isolated Python" in out.stderr
        assert not (tmp_path / "l").exists()
    else:
        assert "isolated" not in out.stderr and "Traceback" not in out.stderr


def test_the_launcher_follows_a_symlink_and_refuses_a_stray_copy(tmp_path):
    link, copy = tmp_path / "cleanroom-link", tmp_path / "cleanroom-copy"
    link.symlink_to(BIN / "cleanroom")
    copy.write_bytes((BIN / "cleanroom").read_bytes())
    copy.chmod(0o755)
    (tmp_path / "python3").write_text("#!/bin/sh\necho hostile interpreter\n")  # not executable
    linked = subprocess.run([str(link), "--version"], capture_output=True, text=True, timeout=60)
    assert linked.returncode == 0 and linked.stdout.startswith("cleanroom, version")
    stray = subprocess.run([str(copy), "--version"], capture_output=True, text=True, timeout=60)
    assert stray.returncode == 2 and "no Python interpreter beside" in stray.stderr
    assert "hostile" not in stray.stdout


def test_the_launcher_hands_no_loader_variable_to_python(tmp_path):
    """LD_PRELOAD ran a library's constructor inside the reviewer process (attack
    review, round 2): the launcher unsets the loader's variables before Python.
    The variables here name nothing loadable, so the loader only warns; the probe
    reads what Python itself was given."""
    env = dict(os.environ)
    env.update(LD_PRELOAD=str(tmp_path / "x.so"), LD_AUDIT=str(tmp_path / "y.so"),
               LD_LIBRARY_PATH=str(tmp_path))  # fmt: skip
    launcher = tmp_path / "cleanroom"
    launcher.write_text((BIN / "cleanroom").read_text().replace("-m cleanroom", '-c "$@"'))
    launcher.chmod(0o755)
    for name in ("python3", "python"):
        if (BIN / name).exists():
            (tmp_path / name).symlink_to(BIN / name)
    probe = "import os; print(sorted(k for k in os.environ if k.startswith('LD_')))"
    out = subprocess.run([str(launcher), probe], capture_output=True, text=True, env=env,
                         timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"  # (the shell itself was started with them)


def test_the_readme_scripts_prepare_the_venv_with_isolated_pythons(tmp_path):
    """scripts/venv.sh (sourced by scripts/demo and scripts/test) checked its
    interpreter without -I: under PYTHONINSPECT a `>>>` prompt waited on the
    terminal instead of the demo, and a sitecustomize on PYTHONPATH ran (attack
    review, round 2). Here stdin stays open, so a prompt would wait until the
    timeout; and a sitecustomize would leave its canary."""
    canary = tmp_path / "ran"
    (tmp_path / "sitecustomize.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    env = dict(os.environ, PYTHONINSPECT="1", PYTHONPATH=str(tmp_path))
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(["bash", "-c", ". scripts/venv.sh"], cwd=root, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"scripts/venv.sh waited on its input: {out[-500:]!r}")
    assert proc.returncode == 0, out[-2000:]
    assert b">>>" not in out
    assert not canary.exists()
