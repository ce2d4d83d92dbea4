"""`cleanroom recorder`: the service that alone holds the snapshot, the
workstation key and the ledger, and serves one review session at a time to a
terminal (`cleanroom review --connect`) over a Unix socket. ADR 0202,
docs/protocol.md."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ..guard.bulk import Pace
from ..guard.guard import Guard
from ..guard.network import read_network, start_check
from ..guard.places import Places
from ..isolation import require as require_isolated
from ..ledger.keys import KeyFileError
from ..ledger.reviewer_keys import from_public_key_file
from ..notes.book import NoteBook
from ..recorder.dispatch import Dispatcher
from ..recorder.held_locks import held_locks
from ..recorder.log import log
from ..recorder.owner import owner_of
from ..recorder.peer import Peer, account_name
from ..recorder.quota import LedgerQuota
from ..recorder.server import RecorderServer
from ..recorder.single import AlreadyRunning, hold
from ..sanitize import clean
from ..session.local_service import LocalService
from ..session.recorder import Recorder
from ..session.review import Facts, ReviewSession
from .process import harden_process
from .recorder_config import recorder_config
from .review import (
    Setup,
    finish_seals,
    load_notes,
    report_missing,
    review,
    settle_crashed,
    setup_from,
    start_ledger,
)
from .review_config import load_config

ALREADY_RUNNING = 3  # exit status: another recorder holds this ledger directory


def session_opener(configured: Setup, crashed: str = "resume",
                   quota: LedgerQuota | None = None) -> Any:  # fmt: skip
    """A function that starts (or resumes, after a crash) a session for the peer that
    connected: the same checks and ledger as `cleanroom review`, with the guard
    running in this process. The reviewer is the peer's account (SO_PEERCRED), not
    the config's `reviewer` nor anything the terminal says; a crashed session is
    resumed only for the reviewer who ran it. The reading pace outlives each
    session: a new session does not reset the count. With `quota`, no session
    starts (nor resumes) while the ledgers' filesystem is short of its reserve,
    and each session stops at the quota (recorder/quota.py)."""
    pace = Pace(configured.policy.bulk)

    def open_session(peer: Peer) -> tuple[Dispatcher, Any]:
        short = None if quota is None else quota.short_of_reserve(configured.ledger_dir)
        if short is not None:  # nothing written: no session could be recorded to its end
            raise RuntimeError(f"no session can start: {short}")
        setup = replace(configured, reviewer=replace(configured.reviewer, name=account_name(peer)))
        check = start_check(setup.policy, read_network())
        if check.action == "refuse":
            raise RuntimeError(check.explanation)
        finish_seals(setup)
        resumed = settle_crashed(setup, crashed, same_reviewer=True)
        ledger = resumed or start_ledger(setup)
        owner = owner_of(ledger.path) if resumed is not None else None
        missing = tuple(report_missing(setup, ledger))  # the terminal's start screen shows them
        notes = NoteBook()
        load_notes(setup, ledger, notes)
        guard, writer = None, ledger
        if setup.snapshot_path is not None:
            places = Places.of(setup.snapshot_path, ledger.path, setup.key_dirs,
                               setup.policy.media_roots, setup.key_files)  # fmt: skip
            guard = Guard(setup.policy, places, pace=pace)
            writer = guard.watch_ledger(ledger)
            guard.start()
        facts = Facts(setup.reviewer.name, setup.reviewer.org, setup.workstation.cert.workstation,
                      setup.snapshot_label, str(ledger.path), missing)  # fmt: skip
        session = ReviewSession(Recorder(writer), setup.source, facts, guard)
        session.notes = notes
        session.resumed = resumed is not None  # the terminal's start screen says so
        verb = "resumed" if session.resumed else "started"
        log(f"session {session.session_id} {verb} in {ledger.path.name}")

        def close() -> None:
            if guard is not None and guard.running:
                guard.stop()
            if not ledger.sealed:
                ledger.close()

        # Without the reviewer's private key here, a key named at start is the terminal's.
        theirs = setup.reviewer.key if setup.countersigner is None else None
        dispatcher = Dispatcher(LocalService(session), countersigner=setup.countersigner,
                                owner=owner, quota=quota, reviewer_key=theirs,
                                idle_seconds=setup.idle_seconds,
                                witness_minutes=setup.witness_minutes)  # fmt: skip
        if resumed is not None:  # left under the guard's lock: it holds again (atk12b)
            held, after = held_locks(ledger.path)
            if held:
                session.locks.carry(held, after)
                dispatcher.relock()
        return dispatcher, close

    return open_session


@click.command()
@click.option("--config", required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The workstation.toml of `review --config`, plus [recorder].")  # fmt: skip
@click.option("--exit-with-parent", "parent", type=int, hidden=True,
              help="Stop when process PID is no longer the parent (cleanroom demo).")  # fmt: skip
def recorder(config: Path, parent: int | None) -> None:
    """Serve review sessions to the reviewer's terminal over a Unix socket.

    Run under its own account: it alone reads the snapshot, the workstation key
    and certificate, and writes the ledger directory. It admits a terminal only
    from the accounts in [recorder] reviewers (checked with SO_PEERCRED),
    records every request before it answers, answers with exactly what it
    recorded, and refuses (and records) anything else. SIGTERM (or SIGINT, SIGHUP) seals the
    session being served and stops; SIGUSR1 seals a session that waits for its
    reviewer (on_client_lost = "wait", at most wait_minutes). Exit status: 0
    stopped; 1 the snapshot was changed after the vendor signed it; 2 usage
    (the config, a key, the socket); 3 another recorder already serves this
    ledger directory (it holds the lock file `recorder.lock` there).
    """
    require_isolated()
    harden_process()  # it holds the key and the snapshot: no core file, no ptrace
    cfg = load_config(config, review)
    settings = recorder_config(cfg.get("recorder", {}), str(config), demo=parent is not None)
    if "reviewer" in cfg:
        raise click.UsageError(
            f"{clean(config)}: remove `reviewer`: the recorder names each session's reviewer "
            "by the terminal's account (SO_PEERCRED), never by a setting"
        )
    skip = ("config", "connect", "in_process")
    options = {p.name: None for p in review.params if p.name not in skip}
    # One recorder per ledger directory, for the life of this process; taken before
    # the snapshot and the keys are read, which the running recorder's guard would see.
    early = cfg.get("ledger_dir")
    lock = _hold(Path(early)) if early and Path(early).is_dir() else None
    setup = setup_from(options, cfg, settings.passphrase_file, settings.mode,
                       reviewer_from_peer=True)  # fmt: skip
    if settings.reviewer_public_key is not None:
        setup = terminal_countersigns(setup, settings.reviewer_public_key, config)
    lock = lock or _hold(setup.ledger_dir)
    # A crashed session is resumed, as `cleanroom review` would on the operator's word;
    # the demo's throwaway sessions are closed as abandoned instead.
    crashed = "abandon" if settings.mode == "demo" else "resume"
    quota = LedgerQuota.of_mib(settings.ledger_quota_mb, settings.ledger_reserve_mb)
    server = RecorderServer(settings.socket, settings.reviewers,
                            session_opener(setup, crashed, quota),
                            settings.on_client_lost, settings.wait_minutes * 60)  # fmt: skip
    if parent is not None:
        server.alive_while = lambda: os.getppid() == parent
    # Before the socket exists: a SIGTERM sent as soon as it appears stops the
    # service in order, never by the default action. So does SIGHUP: a recorder
    # started from a terminal that hangs up seals its session, it does not vanish.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: server.stop.set())
    # The operator's word: seal the session that waits for its reviewer (protocol.md §8).
    signal.signal(signal.SIGUSR1, lambda *_: server.end_waiting.set())
    try:
        server.listen()
    except OSError as exc:
        raise click.UsageError(f"socket {settings.socket}: {exc.strerror or exc}") from exc
    log(f"listening on {settings.socket}")
    server.serve()
    log("stopped")
    lock.close()


def terminal_countersigns(setup: Setup, public: Path, config: Path) -> Setup:
    """The setup with the reviewer's public key named at each session's start: the
    terminal countersigns the seal with the matching private key (ADR 0214).
    click.UsageError for a file that is not a reviewer public key, or beside a
    `reviewer-key` (one place holds the reviewer's key, not two)."""
    if setup.countersigner is not None:
        raise click.UsageError(
            f"{clean(config)}: give either reviewer-key (the recorder countersigns) or "
            "[recorder] reviewer_public_key (the terminal does), not both"
        )
    try:
        key = from_public_key_file(public)
    except KeyFileError as exc:
        raise click.UsageError(f"[recorder] reviewer_public_key: {clean(exc)}") from exc
    return replace(setup, reviewer=replace(setup.reviewer, key=key.raw.hex()))


def _hold(ledger_dir: Path) -> Any:
    """The lock on `ledger_dir`, or exit ALREADY_RUNNING (2 if it cannot be taken)."""
    try:
        return hold(ledger_dir)
    except AlreadyRunning as exc:
        click.echo(f"Error: {clean(str(exc))}", err=True)
        raise SystemExit(ALREADY_RUNNING) from None
    except OSError as exc:
        raise click.UsageError(f"{clean(ledger_dir)}: {exc.strerror or exc}") from exc
