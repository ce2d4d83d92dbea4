"""`cleanroom review --connect SOCKET`: the reviewer's terminal as the recorder's
client. It opens no key, no ledger and no snapshot; the audit policy lets it
write nothing and connect to that one socket only (docs/protocol.md)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..recorder.client import NotAdmitted, RemoteService
from ..sanitize import clean
from ..session.recorder import RecordingError
from .process import require_terminal

CONNECT_TRIES = 20  # a recorder starting up gets this many half-second chances
EXIT_SEALED, EXIT_GONE, EXIT_UNSEALED, EXIT_UNREACHABLE, EXIT_REFUSED = 0, 1, 3, 4, 5


def connect(path: Path, reviewer_key: Ed25519PrivateKey | None = None) -> RemoteService:
    """A connected service. Raises NotAdmitted at once (another terminal is served,
    or the session waits for another reviewer: trying again would not help), and
    RecordingError or OSError after the last try."""
    for attempt in range(CONNECT_TRIES):
        try:
            return RemoteService(path, reviewer_key)
        except NotAdmitted:
            raise
        except (OSError, RecordingError):
            if attempt == CONNECT_TRIES - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def run_terminal(
    path: Path,
    idle_seconds: int | None = None,
    witness_minutes: int | None = None,
    reviewer_key: Ed25519PrivateKey | None = None,
    writable: Sequence[Path] = (),
) -> tuple[int, str | None, list[tuple[str, str]]]:
    """Run the terminal on the recorder at `path`; its exit status, the ledger's
    path as the recorder named it (None when the recorder was never reached), and
    every session this terminal was in, in order: (ledger path, start witness
    `seq:code`). `reviewer_key`: the reviewer's own, which countersigns the seal
    when the recorder asks (ADR 0214); it never leaves this process. `writable`:
    directories the audit policy lets this process write (the demo's own closing
    verify; none for a room's terminal)."""
    from ..tui.launch import prepare

    require_terminal()  # before the recorder is asked for anything
    try:
        service = connect(path, reviewer_key)
    except NotAdmitted as exc:
        click.echo(f"The recorder refused this terminal: {clean(exc)}", err=True)
        return EXIT_REFUSED, None, []
    except (OSError, RecordingError) as exc:
        click.echo(f"cannot reach the recorder at {clean(path)}: {clean(exc)}", err=True)
        return EXIT_UNREACHABLE, None, []
    prepare(list(writable), sockets=[path])  # nothing writable; that socket and no other
    from ..tui.app import ReviewApp  # textual is imported only now

    # A room's terminal has no config of its own: the recorder's says (welcome, version 9).
    idle = service.idle_seconds if idle_seconds is None else idle_seconds
    witness = service.witness_minutes if witness_minutes is None else witness_minutes
    app = ReviewApp(service, idle_seconds=idle, witness_minutes=witness)
    try:
        app.run()
    finally:
        service.close()
    code, ledger = _outcome(app, service)
    sessions = [(w.ledger_path, f"{w.witness_seq}:{w.witness_code}") for w in service.sessions]
    return code, ledger, sessions


def _outcome(app: Any, service: RemoteService) -> tuple[int, str | None]:
    """The exit status and the last ledger's path, said in words first."""
    if app.ended_by is not None:  # a signal ended it (tui/signals.py): exit 128+N
        from ..tui.signals import exit_code

        return exit_code(app.ended_by), service.facts.ledger_path
    if app.crashed:  # its screen said where the report went and what became of the session
        return (EXIT_UNSEALED if app.receipt is None else EXIT_SEALED), service.facts.ledger_path
    if app.receipt is None and service.failure is not None:  # say only what is known
        click.echo(f"The session is not sealed; the recorder was not answering at the end "
                   f"({clean(service.failure)}).")  # fmt: skip
        return EXIT_UNSEALED, service.facts.ledger_path
    if app.receipt is None:
        click.echo("The session is not sealed; the recorder seals it or waits, as configured.")
        return EXIT_UNSEALED, service.facts.ledger_path
    click.echo(f"sealed   {app.receipt.seq}:{clean(app.receipt.witness.code)}")
    if service.reviewer_key is not None and not service.countersigned:
        click.echo("The seal is not countersigned: the recorder did not accept this "
                   "reviewer key's signature (recorded).")  # fmt: skip
    left = service.unfinished  # `session_end` recorded, the ledger file not finished
    if left is not None and left.gone is not None:
        click.echo(f"ledger   {clean(service.facts.ledger_path)}: missing ({clean(left.gone)}"
                   " during the session)")  # fmt: skip
        return EXIT_GONE, service.facts.ledger_path
    if left is not None:
        click.echo(f"ledger   {clean(service.facts.ledger_path)}: sealed, file not finished")
        return EXIT_UNSEALED, service.facts.ledger_path
    return EXIT_SEALED, service.facts.ledger_path
