"""A real workstation for the recorder as a separate process: keys, certificate,
a vendor-signed snapshot of a small tree, a workstation.toml with a [recorder]
table, and `cleanroom recorder` started (and killed) by its own pid."""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.keys import (
    Certificate,
    Role,
    save_certificate,
    write_private_key,
    write_public_key,
)
from cleanroom.snapshot.create import create_snapshot
from tests.ledgerkit import CERT_END, CERT_START, read_rows, seeded_key
from tests.recorderkit import short_dir
from tests.tuikit import FILES

BIN = Path(sys.executable).parent


@dataclass
class Room:
    base: Path
    config: Path
    socket: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.base / "recorder.log").open("ab")
        self.process = subprocess.Popen(
            [f"{BIN}/python", "-I", "-m", "cleanroom", "recorder", "--config", str(self.config)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not self.socket.exists():
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, "the recorder did not start"
            time.sleep(0.05)

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def log(self) -> str:
        path = self.base / "recorder.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def ledgers(self) -> list[Path]:
        """Oldest first by last write: names sort by the second a session started, and
        two sessions started in the same second sort by their random part."""
        found = (self.base / "ledgers").glob("*.ledger")
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def kinds(self, ledger: Path | None = None) -> list[str]:
        path = ledger or self.ledgers()[-1]
        return [decode_body(b).kind for _, b, _ in read_rows(path)]

    def entries(self, ledger: Path | None = None) -> list:
        path = ledger or self.ledgers()[-1]
        return [decode_body(b) for _, b, _ in read_rows(path)]


def build_room(on_client_lost: str = "seal", extra: dict[bytes, bytes] | None = None,
               symbols: bool = False) -> Room:  # fmt: skip
    """A room whose snapshot holds FILES and `extra` (path -> content), and a
    symbol index if `symbols`."""
    base = short_dir()
    keys = base / "keys"
    keys.mkdir()
    vendor, ws = seeded_key("rec/vendor"), seeded_key("rec/ws")
    write_private_key(keys / "workstation.key", ws, role=Role.WORKSTATION)
    write_public_key(keys / "vendor.pub", vendor.public_key(), role=Role.VENDOR_ROOT)
    cert = Certificate.issue(vendor, "ws-rec", ws.public_key(), CERT_START, CERT_END)
    save_certificate(keys / "workstation.cert", cert)
    src = base / "src"
    for path, data in {**FILES, **(extra or {})}.items():
        target = Path(os.fsdecode(os.path.join(os.fsencode(src), path)))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    create_snapshot(src, base / "s.snapshot", vendor, name="rec", version="1", symbols=symbols)
    q = json.dumps
    config = base / "workstation.toml"
    config.write_text("\n".join([
        f"snapshot = {q(str(base / 's.snapshot'))}", f"ledger-dir = {q(str(base / 'ledgers'))}",
        "create-ledger-dir = true", "allow-network = true",
        f"workstation-key = {q(str(keys / 'workstation.key'))}",
        f"cert = {q(str(keys / 'workstation.cert'))}", f"trust = {q(str(keys / 'vendor.pub'))}",
        'org = "Agency"', "", "[recorder]",
        f"socket = {q(str(base / 'r.sock'))}", f"reviewers = [{q('user:' + getpass.getuser())}]",
        f"on_client_lost = {q(on_client_lost)}", "",
    ]))  # fmt: skip
    return Room(base, config, base / "r.sock")


@pytest.fixture
def room():
    """A room with its recorder running; stopped and removed afterwards."""
    built = build_room()
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


@pytest.fixture
def waiting_room():
    """A room whose recorder waits for a lost terminal (`on_client_lost = "wait"`)."""
    built = build_room("wait")
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


async def until(pilot, check, tries: int = 600) -> None:
    """Pause until `check()` holds (at most `tries` × 50 ms: a bound on a test that
    would hang, not a timing claim)."""
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")
