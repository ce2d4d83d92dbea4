"""The split with real accounts (issue 13, CI runs as root): two throwaway accounts
made with useradd, `cleanroom recorder` under the service account and `cleanroom
review --connect` under the reviewer account in tmux (setpriv; no systemd).

It proves what the split promises: the reviewer account gets EACCES on the
snapshot, the keys and the ledger directory; a whole session (open a file, page,
search, seal) works and verifies INTACT; every byte the terminal received is
covered by a ledger entry (a logging proxy, itself run as the reviewer, sits on
the socket); and the session names the reviewer by the account the kernel gave
(SO_PEERCRED), the only name the recorder takes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.recorder import messages as m
from tests.accountskit import Account, as_account, create_account, portable_python, remove_account
from tests.ledgerkit import read_rows
from tests.recorderproc import build_room
from tests.tmuxkit import Tmux
from tests.traffickit import check_covered
from tests.tuikit import FILES
from tests.workstationkit import need_shadow_tools

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent
PROXY = "accounts_proxy.py"


@pytest.fixture(scope="module")
def python():
    where = Path(tempfile.mkdtemp(prefix="cr-py-", dir="/tmp"))
    os.chmod(where, 0o755)
    try:
        python = portable_python(where / "py")
        # beside it, for the reviewer: the work tree may be where no other account reaches
        shutil.copy(HERE / PROXY, where / "py" / PROXY)
        yield python
    finally:
        shutil.rmtree(where, ignore_errors=True)


@pytest.fixture
def accounts():
    """Never skipped: CI runs as root; elsewhere useradd fails, saying why."""
    need_shadow_tools()
    made: list[Account] = []
    try:
        made.append(create_account("s", system=True))
        made.append(create_account("r", system=False))
        yield made[0], made[1]
    finally:
        for account in made:
            remove_account(account)


def own(path: Path, uid: int, gid: int, mode: int) -> None:
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def install_room(service: Account, reviewer: Account) -> tuple[Path, Path]:
    """A room laid out as `cleanroom workstation install` does (plan.py): the keys,
    the snapshot, the config and the ledgers the service's alone. The base itself,
    and the sample's source tree, go: no source is left where a reviewer could look."""
    room = build_room()
    base = room.base
    shutil.rmtree(base / "src")
    os.chmod(base, 0o755)
    svc = service.gid
    own(base / "keys", 0, svc, 0o750)
    own(base / "keys" / "workstation.key", service.uid, svc, 0o400)
    for name in ("workstation.cert", "vendor.pub"):
        own(base / "keys" / name, 0, svc, 0o440)
    own(base / "s.snapshot", 0, svc, 0o440)
    (base / "ledgers").mkdir()
    own(base / "ledgers", service.uid, svc, 0o700)
    run = base / "run"  # the unit's RuntimeDirectory: the reviewers' group, setgid
    run.mkdir()
    own(run, service.uid, reviewer.gid, 0o2750)
    proxy = base / "proxy"  # the test's logging proxy, the reviewer's
    proxy.mkdir()
    own(proxy, reviewer.uid, reviewer.gid, 0o700)
    text = room.config.read_text()
    head = text[: text.index("[recorder]")]
    room.config.write_text(head + "\n".join([
        "[recorder]", f"socket = {json.dumps(str(run / 'r.sock'))}",
        f"reviewers = [{json.dumps('user:' + reviewer.name)}]", 'on_client_lost = "seal"', "",
    ]))  # fmt: skip
    own(room.config, 0, svc, 0o440)
    return base, room.config


def wait_for_path(path: Path, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, f"{path} did not appear:\n{log.read_text()}"
        time.sleep(0.05)


def reviewer_tries(python: Path, reviewer: Account, base: Path) -> dict[str, str]:
    """What the reviewer account gets when it reads each protected thing."""
    ledger = next((base / "ledgers").glob("*.ledger"))
    code = (
        "import errno, json, os, sys\n"
        "out = {}\n"
        "for what, path in json.loads(sys.argv[1]).items():\n"
        "    try:\n"
        "        os.listdir(path) if what.endswith('dir') else open(path, 'rb').read(1)\n"
        "        out[what] = 'READ'\n"
        "    except OSError as exc:\n"
        "        out[what] = errno.errorcode.get(exc.errno, str(exc.errno))\n"
        "print(json.dumps(out))\n"
    )
    targets = {
        "snapshot": base / "s.snapshot", "workstation key": base / "keys/workstation.key",
        "certificate": base / "keys/workstation.cert", "keys dir": base / "keys",
        "ledger dir": base / "ledgers", "ledger": ledger, "config": base / "workstation.toml",
    }  # fmt: skip
    assert all(p.exists() for p in targets.values())  # each is there: a refusal is a refusal
    arg = json.dumps({k: str(v) for k, v in targets.items()})
    out = subprocess.run(as_account(reviewer, str(python), "-I", "-c", code, arg),
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def read_traffic(log: Path) -> list[tuple[object, object]]:
    data, pairs, at = log.read_bytes(), [], 0
    frames: list[tuple[bytes, bytes]] = []
    while at < len(data):
        kind, size = data[at : at + 1], int.from_bytes(data[at + 1 : at + 5], "big")
        frames.append((kind, data[at + 5 : at + 5 + size]))
        at += 5 + size
    for (qk, q), (ak, a) in zip(frames[::2], frames[1::2], strict=True):
        assert (qk, ak) == (b"Q", b"A")
        pairs.append((m.request_decoder.decode(q), m.answer_decoder.decode(a)))
    return pairs


@pytest.fixture
def room(accounts):
    service, reviewer = accounts
    base, config = install_room(service, reviewer)
    try:
        yield base, config
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_session_across_two_real_accounts(python, accounts, room):
    service, reviewer = accounts
    base, config = room
    rec_log = base / "recorder.log"
    processes: list[subprocess.Popen] = []
    term = Tmux(base)
    try:
        with rec_log.open("ab") as out:
            recorder = subprocess.Popen(
                as_account(service, str(python), "-I", "-m", "cleanroom", "recorder",
                           "--config", str(config)),
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd="/",
            )  # fmt: skip
            processes.append(recorder)
            proxy = subprocess.Popen(
                as_account(reviewer, str(python), "-I", str(python.parents[1] / PROXY),
                           str(base / "proxy/p.sock"), str(base / "run/r.sock"),
                           str(base / "proxy/traffic.bin")),
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd="/",
            )  # fmt: skip
            processes.append(proxy)
        wait_for_path(base / "run/r.sock", recorder, rec_log)
        wait_for_path(base / "proxy/p.sock", proxy, rec_log)
        terminal = " ".join(as_account(reviewer, str(python), "-I", "-m", "cleanroom", "review",
                                       "--connect", str(base / "proxy/p.sock")))  # fmt: skip
        term.start(f"cd / && {terminal}; echo EXIT=$?; sleep 60", {"TERM": "xterm-256color"})
        term.wait_for("paper log", timeout=90)
        term.keys("Enter")
        term.wait_for("RECORDING", timeout=30)
        term.keys("C-p")
        term.wait_for("Type part of a path")
        term.type("long.py")
        term.keys("Enter")
        term.wait_for("value_0 = 0", timeout=30)
        term.keys("PageDown")
        term.wait_for("value_40 = 40", timeout=30)
        term.keys("s")
        term.wait_for("Match case")
        term.type("value_4")
        term.keys("Enter")
        term.wait_for("value_49", timeout=60)  # result rows, fetched from the recorder
        for _ in range(5):  # a key sent while the rows still load goes to them
            term.keys("Escape")
            time.sleep(1)
            if "Match case" not in term.screen():
                break
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code", timeout=60)
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60)
        assert "EXIT=0" in done and "sealed" in done, done
    finally:
        term.close()
        for process in processes:  # by our own pids, never by name
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    assert recorder.returncode == 0, rec_log.read_text()
    assert f"serving uid {reviewer.uid} " in rec_log.read_text()  # the proxy, as the reviewer
    # the reviewer account can read none of what the recorder holds
    tried = reviewer_tries(python, reviewer, base)
    assert tried == dict.fromkeys(tried, "EACCES"), tried
    (ledger,) = (base / "ledgers").glob("*.ledger")
    verify = subprocess.run([f"{BIN}/cleanroom", "verify", str(ledger), "--trust",
                             str(base / "keys/vendor.pub")],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert verify.returncode == 0 and "INTACT" in verify.stdout, verify.stdout + verify.stderr
    entries = [decode_body(b) for _, b, _ in read_rows(ledger)]
    start = entries[0]
    assert start.kind == "session_start"
    assert start.payload["reviewer"]["name"] == reviewer.name  # the kernel's word
    kinds = [e.kind for e in entries]
    assert {"file_open", "view", "search", "search_results_view"} <= set(kinds), kinds
    assert kinds[-1] == "session_end"
    pairs = read_traffic(base / "proxy/traffic.bin")
    assert any(isinstance(a, m.Lines) for _, a in pairs)
    check_covered(pairs, entries, FILES)
