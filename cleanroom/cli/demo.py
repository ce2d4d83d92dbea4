"""`cleanroom demo`: the reviewer terminal on an embedded sample, with throwaway keys.

The sample is Cleanroom's own source plus a few hostile files (Trojan Source,
terminal escapes, invalid UTF-8, a binary) so every safeguard has something to
show. Everything is created fresh in one directory, which is printed at the end.

The demo runs the real architecture (ADR 0202): `cleanroom recorder` as a child
process, serving this terminal over a Unix socket with the same protocol. Both
run under the same account, so the demo does not separate privileges; it says so.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..guard.policy import Policy
from ..isolation import require as require_isolated
from ..ledger.events import Reviewer
from ..ledger.finish import gone_receipt_path
from ..ledger.keys import (
    Certificate,
    Role,
    load_private_key,
    raw_public,
    save_certificate,
    write_private_key,
    write_public_key,
)
from ..ledger.writer import Workstation, receipt_path
from ..sanitize import clean
from .process import harden_process
from .review import Setup, open_snapshot, report
from .terminal import run_terminal

CONFIG = "workstation.toml"
SAME_ACCOUNT = (
    "The recorder runs as a child process under your own account: the demo uses the "
    "real protocol, but does not separate privileges (a room runs it as its own account)."
)


def write_config(base: Path, keys: Path, cert: Path, snapshot: Path, idle_minutes: int) -> Path:
    """The demo's workstation.toml: the recorder's settings, this account as the reviewer
    (the recorder records its name, from the socket's peer)."""
    q = json.dumps  # a TOML basic string is a JSON string for these paths
    lines = [
        f"snapshot = {q(str(snapshot))}", f"ledger-dir = {q(str(base / 'ledgers'))}",
        "create-ledger-dir = true",
        f"workstation-key = {q(str(keys / 'workstation.key'))}", f"cert = {q(str(cert))}",
        f"trust = {q(str(keys / 'vendor.pub'))}", 'org = "Example Agency"',
        f"reviewer-key = {q(str(keys / 'reviewer.key'))}",
        f"idle-minutes = {idle_minutes}", "", "[recorder]",
        f"socket = {q(str(base / 'recorder.sock'))}",
        f"reviewers = [{q('user:' + getpass.getuser())}]", 'mode = "demo"', "",
    ]  # fmt: skip
    path = base / CONFIG
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_session(setup: Setup, choice: str | None) -> list[tuple[Path, str | None]]:
    """Start the recorder as a child process on the demo's workstation.toml, be its
    terminal, stop it, and return every session of the run, in order: its ledger's
    path and its start witness (None when the terminal did not see the start)."""
    base = setup.ledger_dir.parent
    config, sock = base / CONFIG, base / "recorder.sock"
    log = (base / "recorder.log").open("ab")
    # -I: the recorder is as isolated as the terminal (ADR 0201). Its own session, as a
    # room's recorder runs under its own account: the kernel's SIGHUP when the terminal
    # hangs up went to the whole group and killed the recorder before the terminal's
    # seal reached it (atk12). It still ends with the demo (--exit-with-parent).
    child = subprocess.Popen(
        [sys.executable, "-I", "-m", "cleanroom", "recorder", "--config", str(config),
         "--exit-with-parent", str(os.getpid())],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    click.echo(SAME_ACCOUNT)
    scratch = verify_scratch(base)
    try:
        _, ledger, sessions = run_terminal(
            sock, setup.idle_seconds, setup.witness_minutes, writable=[scratch]
        )
    finally:
        child.send_signal(signal.SIGTERM)  # seals a session the terminal left open
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
        log.close()
    # The closing verify copies a ledger left with its -wal into a private
    # directory: the terminal's audit policy (still on in this process) lets it
    # write there and nowhere else.
    tempfile.tempdir = str(scratch)
    if sessions:
        return [(Path(p), start) for p, start in sessions]
    if ledger:
        return [(Path(ledger), None)]
    newest = sorted(setup.ledger_dir.glob("*.ledger"), key=lambda p: p.stat().st_mtime)
    if not newest:  # the recorder never started a session: its log says why
        click.echo(f"no session was recorded; the recorder's log: {clean(base / 'recorder.log')}")
        raise SystemExit(4)
    return [(newest[-1], None)]


def verify_scratch(base: Path) -> Path:
    """The demo's own directory for the closing verify's private copies (mode 0700)."""
    scratch = base / "verify-tmp"
    scratch.mkdir(mode=0o700, exist_ok=True)
    return scratch


HOSTILE_SAMPLES = {
    "examples/trojan_source.c": (
        "#include <stdio.h>\n"
        "int main(void) {\n"
        "    int is_admin = 0;\n"
        "    /*\u202e } \u2066if (is_admin)\u2069 \u2066 begin admins only */\n"
        '        puts("You are an admin.");\n'
        "    /* end admins only \u202e { \u2066*/\n"
        "    return 0;\n"
        "}\n"
    ).encode(),
    "examples/terminal_escapes.txt": (
        b"This line tries to set the clipboard: \x1b]52;c;c2VjcmV0\x07 and clear: \x1b[2J\n"
        b"Zero-width space between the quotes: '\xe2\x80\x8b'\n"
        b"Invalid UTF-8: \xff\xfe\n"
    ),
    "examples/blob.bin": bytes(range(256)) * 16,
}


def build_sample(dest: Path) -> None:
    package = Path(str(resources.files("cleanroom")))
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".tcss") and "__pycache__" not in path.parts:
            target = dest / "cleanroom" / path.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    for name, data in HOSTILE_SAMPLES.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_bytes(data)


ROLES = {"vendor": Role.VENDOR_ROOT, "workstation": Role.WORKSTATION, "reviewer": Role.REVIEWER}


def _throwaway_key(directory: Path, name: str) -> Ed25519PrivateKey:
    """The demo's key `name`: reused if an earlier run in this directory made it."""
    path = directory / f"{name}.key"
    if path.exists():
        return load_private_key(path, role=ROLES[name])
    key = Ed25519PrivateKey.generate()
    write_private_key(path, key, role=ROLES[name])
    write_public_key(directory / f"{name}.pub", key.public_key(), role=ROLES[name])
    return key


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to put keys, snapshot and ledgers [a new temp dir].")  # fmt: skip
@click.option("--idle-minutes", default=10, show_default=True, type=click.IntRange(1, 240),
              help="Blank the screen after this long without input.")  # fmt: skip
def demo(directory: Path | None, idle_minutes: int) -> None:
    """Run the reviewer terminal on an embedded sample with throwaway keys.

    Exit status as for `review`: that of `verify` on the session's ledger; 2
    usage or no terminal; 4 when the recorder recorded no session; 128 + N when
    signal N ended the session.
    """
    require_isolated()  # before anything is created (ADR 0201)
    harden_process()  # before any key is made: no core file, no same-user memory reads
    from ..snapshot.create import create_snapshot

    # Absolute: the recorder refuses a relative socket path, and a relative --dir made
    # the demo wait for a recorder that never started (attack on issue 12).
    base = (directory or Path(tempfile.mkdtemp(prefix="cleanroom-demo-"))).absolute()
    base.mkdir(parents=True, exist_ok=True)
    keys = base / "keys"
    keys.mkdir(exist_ok=True)
    vendor, ws, reviewer = (_throwaway_key(keys, n) for n in ("vendor", "workstation", "reviewer"))
    now = int(time.time())
    cert = Certificate.issue(vendor, "demo-ws", ws.public_key(), now - 60, now + 7 * 86400)
    save_certificate(keys / f"workstation-{now}.cert", cert)
    sample = base / "sample"
    if not sample.exists():
        build_sample(sample)
    snapshot = base / f"sample-{now}.snapshot"
    indexed = ctags_present()
    without = ("WITHOUT a symbol index: universal-ctags is not installed, so o, d and ctrl+t"
               " will say the snapshot has none")  # fmt: skip
    with_index = "with a symbol index" if indexed else without
    click.echo(f"creating a snapshot of {clean(sample)} ({with_index}) ...")
    create_snapshot(sample, snapshot, vendor, name="cleanroom-sample", version="demo",
                    symbols=indexed)  # fmt: skip
    write_config(base, keys, keys / f"workstation-{now}.cert", snapshot, idle_minutes)
    trust = [raw_public(vendor)]
    source, ref, label = open_snapshot(snapshot, trust, base / "ledgers")
    setup = Setup(
        Workstation(ws, cert), trust, source, ref, label, base / "ledgers",
        Reviewer("Demo Reviewer", "Example Agency", raw_public(reviewer).hex()), reviewer,
        idle_minutes * 60, 15, Policy.for_mode("demo"), (keys,), snapshot,
    )  # fmt: skip
    sessions = run_session(setup, "abandon")
    codes = []
    for number, (path, start) in enumerate(sessions, 1):
        if len(sessions) > 1:  # the recorder ended one while it could not reach the terminal
            click.echo(f"session  {number} of {len(sessions)}")
        if start is not None:
            click.echo(f"start    {clean(start)}")
        codes.append(report(path, trust))
        receipt, gone = receipt_path(path), gone_receipt_path(path)
        if receipt.exists():  # none after a crash: say so, never name a file that is not there
            click.echo(f"receipt  {clean(receipt)}")
        elif gone.exists():  # sealed, but its ledger was moved or deleted under the session
            click.echo(f"receipt  {clean(gone)} (written where the ledger was)")
        else:
            click.echo("receipt  none: the session was not sealed")
    code = 1 if 1 in codes else max(codes)
    path = sessions[-1][0]
    click.echo(f"keys     {clean(keys)} (throwaway)")
    run = command_name()
    ledger, pub = quoted(path), quoted(keys / "vendor.pub")
    reviewer_pub, snap = quoted(keys / "reviewer.pub"), quoted(snapshot)
    click.echo(
        f"verify   {run} verify {ledger} --trust {pub} --reviewer-key {reviewer_pub}"
        f" --snapshot {snap}"
    )
    click.echo(f"replay   {run} replay {ledger} --snapshot {snap} --trust {pub}")
    raise SystemExit(code)


def ctags_present() -> bool:
    """Whether universal-ctags is on PATH, to build the demo's symbol index (issue
    15); the demo runs without it, and says so."""
    from ..snapshot.symbols.ctags import SymbolsBuildError, ctags_tool

    try:
        ctags_tool()
    except SymbolsBuildError:
        return False
    return True


def command_name() -> str:
    """How to run this very Cleanroom, as printed: the launcher beside this Python
    (`.venv/bin/cleanroom`), or this Python with `-I -m cleanroom`. A bare
    `cleanroom` would only run in an activated venv."""
    here = Path(sys.executable)
    launcher = here.with_name("cleanroom")
    if launcher.is_file() and os.access(launcher, os.X_OK):
        return quoted(launcher)
    return f"{quoted(here)} -I -m cleanroom"


def quoted(path: Path | str) -> str:
    """A path sanitized for the terminal and quoted for a shell, so that the line
    runs as printed (a temporary directory may hold spaces)."""
    return shlex.quote(clean(str(path)))
