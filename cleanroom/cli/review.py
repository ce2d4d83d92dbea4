"""`cleanroom review` and `cleanroom demo`: start a recorded review session.

The order matters: keys, certificate and snapshot are checked and the
`session_start` is durable *before* the terminal UI (and textual) is loaded,
and the environment is scrubbed and the audit policy installed in between.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from ..guard.guard import Guard
from ..guard.network import read_network, start_check
from ..guard.places import Places
from ..guard.policy import Category, Policy, PolicyError
from ..isolation import require as require_isolated
from ..ledger.clock import Clock, SystemClock
from ..ledger.events import Reviewer, SnapshotRef
from ..ledger.finish import finish
from ..ledger.keys import Certificate, KeyFileError, Role, key_id, raw_public
from ..ledger.verify import verify_path
from ..ledger.writer import Ledger, Workstation
from ..notes.book import NoteBook
from ..notes.earlier import earlier_notes
from ..sanitize import clean
from ..session.events import Alert
from ..session.history import past_sessions, previous_head, resumable, unfinished_seals, unsealed
from ..session.missing import missing_ledgers
from ..session.recorder import Recorder
from ..session.review import Facts, ReviewSession
from ..session.source import Source
from .keys import load_signing_key
from .options import trusted_key
from .process import harden_process, require_terminal
from .recorder_config import DEFAULT_SOCKET
from .review_config import load_config


@dataclass
class Setup:
    """Everything a session needs, checked before anything is recorded."""

    workstation: Workstation
    trust: list[bytes]
    source: Source
    snapshot: SnapshotRef
    snapshot_label: str
    ledger_dir: Path
    reviewer: Reviewer
    countersigner: Any = None
    idle_seconds: int = 300
    witness_minutes: int = 15
    policy: Policy = field(default_factory=lambda: Policy.for_mode("review"))
    key_dirs: tuple[Path, ...] = ()
    snapshot_path: Path | None = None
    clock: Clock | None = None  # the system clock unless a test steps its own
    key_files: tuple[Path, ...] = ()  # every key file the session uses, wherever it lives


def open_snapshot(
    path: Path, trust: list[bytes], ledger_dir: Path
) -> tuple[Source, SnapshotRef, str]:
    """Open a vendor-signed snapshot as a review source: its signature, its files
    table against the signed root (at every open) and its search index and symbol
    index against the signed digests (once per snapshot file, remembered in
    `ledger_dir`). Raises SnapshotTampered (exit 1) or SnapshotError (exit 2)."""
    from ..session.index_check import ensure_index_checked, identity
    from ..session.snapshot_source import SnapshotSource
    from ..session.symbols_check import ensure_symbols_checked
    from ..snapshot.search import prepare

    before = identity(path)
    source = SnapshotSource.from_file(path, trust)

    def say(message: str) -> None:
        click.echo(message, err=True)

    try:
        ensure_index_checked(source.snapshot, before, ledger_dir, say)
        ensure_symbols_checked(source.snapshot, before, ledger_dir, say)
    except Exception:
        source.snapshot.close()
        raise
    prepare(source.snapshot)  # before the session: the first search is then as fast
    return source, source.ref, source.name


def run_session(setup: Setup, crashed_choice: str | None = None) -> Path:
    """Check the air gap, record `session_start` (or resume a crashed session), run
    the UI, and return the ledger path. `crashed_choice` answers 'resume' or
    'abandon' for a session a crash left unsealed; without it the operator is asked."""
    check = start_check(setup.policy, read_network())
    if check.action == "refuse":
        raise click.UsageError(check.explanation)
    require_terminal()  # before the first entry: no keys reach an app without a terminal
    # Starting on a network anyway is recorded by the guard's first alert.
    finish_seals(setup)
    ledger = settle_crashed(setup, crashed_choice) or start_ledger(setup)
    missing = report_missing(setup, ledger)
    return _run_ui(setup, ledger, missing)


def report_missing(setup: Setup, ledger: Ledger) -> list[str]:
    """Say, and record in the new session (an `alert`, `ledger_tamper`, `record`),
    each receipt in the ledger directory whose ledger is missing: a session whose
    ledger was deleted or moved. Repeated at every start until the operator takes
    the receipt away (to the vendor). Returns what was said, for the start screen."""
    history = past_sessions(setup.ledger_dir, setup.workstation.cert, setup.trust)
    present = [s.head.ledger for s in history] + [ledger.id]
    said = []
    for gone in missing_ledgers(setup.ledger_dir, present):
        click.echo(f"WARNING: {clean(gone.describe())}. Give the receipt to the vendor.",
                   err=True)  # fmt: skip
        ledger.append(Alert(Category.LEDGER_TAMPER.value, gone.describe()[:900], "record"))
        said.append(gone.describe())
    return said


def load_notes(setup: Setup, ledger: Ledger, book: NoteBook) -> None:
    """Into `book`: earlier sessions' notes on this snapshot, and a resumed
    session's own. Read before the guard starts (it would see these reads of the
    ledger directory as someone else's)."""
    history = past_sessions(setup.ledger_dir, setup.workstation.cert, setup.trust)
    paths = [s.path for s in reversed(history)
             if s.head.ledger != ledger.id and s.snapshot == setup.snapshot.id]  # fmt: skip
    book.earlier = earlier_notes(paths, setup.snapshot.id)
    book.resume(earlier_notes([ledger.path], setup.snapshot.id))  # none in a new ledger


def finish_seals(setup: Setup) -> None:
    """Finish the file of every sealed session whose seal could not (checkpoint,
    read-only, receipt), and say so. One that still cannot be finished is a
    usage error: the ledger directory needs the operator first."""
    setup.ledger_dir.mkdir(parents=True, exist_ok=True)
    history = past_sessions(setup.ledger_dir, setup.workstation.cert, setup.trust)
    for past in unfinished_seals(history):
        try:
            done = finish(past.path)
        except ValueError as exc:
            raise click.UsageError(f"cannot finish {clean(past.path.name)}: {exc}") from exc
        if done.failed:
            raise click.UsageError(clean(done.describe(past.path)))
        click.echo(f"finished the seal of {clean(past.path.name)}: " + "; ".join(past.unfinished)
                   + f"; receipt {clean(done.receipt_path)}")  # fmt: skip


def settle_crashed(setup: Setup, choice: str | None, same_reviewer: bool = False) -> Ledger | None:
    """Close every unsealed session as abandoned, or resume one (returned). With
    `same_reviewer` (the recorder), only a session of `setup.reviewer` is resumed:
    another reviewer's is closed as abandoned, never continued under a new name."""
    setup.ledger_dir.mkdir(parents=True, exist_ok=True)
    cert = setup.workstation.cert
    for crashed in unsealed(past_sessions(setup.ledger_dir, cert, setup.trust)):
        if not resumable(crashed, cert, (setup.clock or SystemClock()).now()[0]):
            click.echo(
                f"Session {crashed.path.name} was not sealed, and its certificate is for "
                "another key or has ended: it stays unsealed (verify calls it UNSEALED).",
                err=True,
            )
            continue
        answer = choice or click.prompt(
            f"Session {crashed.path.name} (reviewer {clean(crashed.reviewer)}) was not sealed. "
            "Resume it or close it as abandoned?",
            type=click.Choice(["resume", "abandon"]),
        )
        if same_reviewer and crashed.reviewer != setup.reviewer.name:
            answer = "abandon"
        if answer == "resume" and crashed.snapshot != setup.snapshot.id:
            raise click.UsageError(
                f"{crashed.path.name} reviewed another snapshot; it can only be abandoned"
            )
        ledger = Ledger.resume(crashed.path, setup.workstation, "crash", clock=setup.clock)
        if answer == "resume":
            return ledger
        ledger.seal("abandoned")
    return None


def start_ledger(setup: Setup) -> Ledger:
    """A new session ledger whose start names the previous session's head."""
    history = past_sessions(setup.ledger_dir, setup.workstation.cert, setup.trust)
    return Ledger.create(
        setup.ledger_dir,
        setup.workstation,
        setup.reviewer,
        setup.snapshot,
        previous_head(history),
        clock=setup.clock,
    )


def _run_ui(setup: Setup, ledger: Ledger, missing: list[str] | None = None) -> Path:
    from ..tui.launch import prepare

    notes = NoteBook()
    load_notes(setup, ledger, notes)
    guard = None
    writer: Any = ledger
    if setup.snapshot_path is not None:  # made first: it loads inotify before the policy
        places = Places.of(setup.snapshot_path, ledger.path, setup.key_dirs,
                           setup.policy.media_roots, setup.key_files)  # fmt: skip
        guard = Guard(setup.policy, places)
        writer = guard.watch_ledger(ledger)
    prepare([setup.ledger_dir])
    from ..tui.app import ReviewApp  # textual is imported only now

    facts = Facts(
        setup.reviewer.name,
        setup.reviewer.org,
        setup.workstation.cert.workstation,
        setup.snapshot_label,
        str(ledger.path),
        tuple(missing or ()),
    )
    if guard is not None:
        guard.start()
    session = ReviewSession(Recorder(writer), setup.source, facts, guard)
    session.notes = notes
    app = ReviewApp(
        session,
        idle_seconds=setup.idle_seconds,
        witness_minutes=setup.witness_minutes,
        countersigner=setup.countersigner,
    )
    try:
        app.run()
    finally:
        if guard is not None and guard.running:
            guard.stop()
        if not ledger.sealed:
            ledger.close()
    if app.ended_by is not None:  # a signal ended it (tui/signals.py): say so, exit 128+N
        from ..tui.signals import after_signal

        raise SystemExit(after_signal(app.ended_by, lambda: report(ledger.path, setup.trust)))
    return ledger.path


def report(path: Path, trust: list[bytes]) -> int:
    """Print the verdict on the ledger a session wrote; return its exit code (1 when
    the ledger is gone: moved or deleted under the session)."""
    if not path.is_file():
        click.echo(f"ledger   {clean(path)}: missing (moved or deleted during the session)")
        return 1
    try:
        verdict = verify_path(path, trust)
    except OSError as exc:  # e.g. the terminal's lockdown in this process: no temporary file
        click.echo(f"ledger   {clean(path)}")
        click.echo(f"verdict  not checked here ({clean(exc)}); run the verify command below")
        return 3  # as a terminal whose session is not known to be sealed
    click.echo(f"ledger   {clean(path)}")
    click.echo(f"verdict  {verdict.status.value}")
    for f in verdict.findings:
        click.echo(f"  {f.code}  {clean(f.message)}")
    head = verdict.summary.get("head")
    if head:
        click.echo(f"head     {head['seq']}:{head['witness']}")
    return verdict.exit_code


def _key_files(merged: dict[str, Any]) -> tuple[Path, ...]:
    """The workstation key and certificate, the trusted vendor key and the
    reviewer's key: the guard watches each file where it is."""
    names = ("workstation_key", "cert", "trust", "reviewer_key")
    return tuple(Path(merged[n]) for n in names if merged.get(n))


def check_ledger_dir(path: Path, create: bool) -> None:
    """Refuse a --ledger-dir that is not a directory, or does not exist unless
    `create`: a mistyped directory would silently start a new chain of sessions."""
    if path.is_dir():
        return
    if os.path.lexists(path):
        raise click.UsageError(f"--ledger-dir {clean(path)} is not a directory")
    if not create:
        raise click.UsageError(
            f"--ledger-dir {clean(path)} does not exist; check the path (a new directory "
            "starts a new chain of sessions), or pass --create-ledger-dir to create it"
        )


def load_workstation(
    key_path: Path, cert_path: Path, trust: list[bytes], passphrase_file: Path | None = None
) -> Workstation:
    """The workstation key with its certificate, checked against each other and the
    trusted vendor key. Exit 2 (click.UsageError or KeyFileError) on any mismatch."""
    try:
        cert = Certificate.load(cert_path)
    except KeyFileError as exc:
        raise KeyFileError(f"--cert {exc}") from exc
    if not any(cert.signed_by(k) for k in trust):
        raise click.UsageError("the workstation certificate is not signed by the --trust key")
    key = load_signing_key(key_path, passphrase_file, Role.WORKSTATION, "--workstation-key")
    if raw_public(key) != cert.key:
        raise click.UsageError(
            f"--workstation-key {clean(key_path)} does not match the certificate "
            f"{clean(cert_path)}: the key's id is {key_id(raw_public(key))}, the certificate "
            f"is for key {key_id(cert.key)} (workstation {clean(cert.workstation)})"
        )
    return Workstation(key, cert)


@click.command()
@click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A workstation.toml holding the fixed options below.")  # fmt: skip
@click.option("--connect", type=click.Path(dir_okay=False, path_type=Path),
              help="Be the terminal of the recorder at this socket (default "
                   f"{DEFAULT_SOCKET}): no key, ledger or snapshot here (no other option "
                   "may be given but --reviewer-key, the reviewer's own).")  # fmt: skip
@click.option("--in-process", is_flag=True, default=None,
              help="Development only: run the whole session in this process, which then "
                   "holds the key, the ledger and the snapshot (no privilege separation). "
                   "Needed for every option below.")  # fmt: skip
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path),
              help="The vendor-signed snapshot to review.")  # fmt: skip
@click.option("--ledger-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where session ledgers are written; it must exist.")  # fmt: skip
@click.option("--create-ledger-dir", is_flag=True, default=None,
              help="Create --ledger-dir if missing (a new chain of sessions).")  # fmt: skip
@click.option("--workstation-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The workstation's private key (role workstation).")  # fmt: skip
@click.option("--cert", type=click.Path(dir_okay=False, path_type=Path),
              help="The workstation's certificate.")  # fmt: skip
@click.option("--trust", type=click.Path(dir_okay=False, path_type=Path),
              help="The vendor root public key (snapshot and certificate).")  # fmt: skip
@click.option("--reviewer", help="The reviewer's name.")
@click.option("--org", help="The reviewer's organisation.")
@click.option("--reviewer-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The reviewer's private key, to countersign the seal. Also as the "
                   "terminal (--connect): it stays in the terminal, which signs what the "
                   "recorder asks at the seal (ADR 0214).")  # fmt: skip
@click.option("--idle-minutes", type=click.IntRange(1, 240), help="Blank the screen after this.")
@click.option("--witness-minutes", type=click.IntRange(1, 240), help="Show a fresh witness code.")
@click.option("--allow-network", is_flag=True, default=None,
              help="Start even if the workstation is not air-gapped (recorded).")  # fmt: skip
@click.option("--resume", type=click.Choice(["resume", "abandon"]),
              help="What to do with a crashed, unsealed session (asked if omitted).")  # fmt: skip
def review(**opts: Any) -> None:
    """Start a recorded review session in the locked-down terminal UI.

    Without options, or with --connect SOCKET, this is the reviewer's terminal:
    it connects to the recorder (`cleanroom recorder`, its own account) and holds
    no key, no ledger and no source; the recorder names the reviewer by the
    terminal's account. --in-process (development and tests only) instead runs
    the whole session in this process, under the reviewer's own account, as
    follows.

    Checks the workstation certificate and the snapshot's vendor signature,
    finishes any earlier seal that could not finish its file, records the
    session start, then opens the reviewer terminal. Every file opened, screen
    shown and search made is recorded before it is shown.

    The snapshot's files table is checked against the signed root at every
    start, its search index and symbol index against the signed digests once per
    snapshot file, and each file's content before any of it is shown (a file that fails is
    refused and recorded as `blocked`). Exit status: that of `verify` on the
    session's ledger (3 also when it is sealed but its file unfinished); 1 if
    that ledger is gone (moved or deleted during the session), or, before
    anything is recorded, if the snapshot was changed after the vendor signed
    it; 2 usage. As the terminal: 0 when the session was sealed, 3 when the
    terminal left it unsealed (the recorder seals or waits, as configured) or it
    is sealed but its file unfinished, 1 if its ledger is gone, 4 when the
    recorder cannot be reached, 5 at once when the recorder refuses this
    terminal (another terminal's session is open, or the session waits for
    another reviewer; its reason is shown), 2 usage. 2 also when stdin, stdout or
    stderr is not a terminal (refused before anything is recorded); 128 + N when
    signal N (SIGTERM 143, SIGINT 130, SIGQUIT 131, SIGHUP 129) ended the session:
    it is recorded and sealed with the signal as the reason, or left to resume if
    the seal failed.
    """
    require_isolated()  # before anything is recorded (ADR 0201)
    harden_process()  # before any key is loaded: no core file, no same-user memory reads
    connect = opts.pop("connect")
    in_process = opts.pop("in_process")
    if connect is not None or not in_process:
        # The reviewer's own key may come: the terminal countersigns the seal with it.
        theirs = opts.pop("reviewer_key")
        given = sorted("--" + k.replace("_", "-") for k, v in opts.items() if v is not None)
        if connect is not None and (given or in_process):
            given += ["--in-process"] if in_process else []
            raise click.UsageError(
                f"--connect takes no other option but --reviewer-key (given: {', '.join(given)})"
            )
        if given:  # a reviewer's terminal holds no key, ledger or snapshot (ADR 0202)
            raise click.UsageError(
                f"{', '.join(given)} would run the session in this process: a room's "
                "terminal connects to its recorder (no option, or --connect SOCKET); "
                "for development add --in-process (no privilege separation)"
            )
        from .terminal import run_terminal

        key = None
        if theirs is not None:  # read before the recorder is asked for anything
            key = load_signing_key(theirs, None, Role.REVIEWER, "--reviewer-key")
        raise SystemExit(run_terminal(connect or DEFAULT_SOCKET, reviewer_key=key)[0])
    cfg = load_config(opts.pop("config"), review)
    setup = setup_from(opts, cfg)
    path = run_session(setup, opts.get("resume") or cfg.get("resume"))
    raise SystemExit(report(path, setup.trust))


def setup_from(opts: dict[str, Any], cfg: dict[str, Any], passphrase_file: Path | None = None,
               mode: str = "review", reviewer_from_peer: bool = False) -> Setup:  # fmt: skip
    """Every check `cleanroom review` makes before anything is recorded, on the
    options merged over the config; the Setup of a session. `cleanroom recorder`
    makes the same checks, with `reviewer_from_peer`: no reviewer name is
    configured, each session names its peer's account."""
    merged = {k: v if v is not None else cfg.get(k) for k, v in opts.items()}
    needed = ("snapshot", "ledger_dir", "workstation_key", "cert", "trust", "org")
    missing = [k for k in needed + (() if reviewer_from_peer else ("reviewer",))
               if not merged.get(k)]  # fmt: skip
    if missing:
        names = ", ".join("--" + m.replace("_", "-") for m in missing)
        raise click.UsageError(f"missing {names} (on the command line or in --config)")
    ledger_dir = Path(merged["ledger_dir"])
    check_ledger_dir(ledger_dir, bool(merged.get("create_ledger_dir")))
    trust = [trusted_key(Path(merged["trust"]))]
    workstation = load_workstation(
        Path(merged["workstation_key"]), Path(merged["cert"]), trust, passphrase_file
    )
    countersigner = None
    reviewer_key = None
    if merged.get("reviewer_key"):
        countersigner = load_signing_key(
            Path(merged["reviewer_key"]), None, Role.REVIEWER, "--reviewer-key"
        )
        reviewer_key = raw_public(countersigner).hex()
    try:
        policy = Policy.from_dict(mode, cfg.get("guard", {}))
    except PolicyError as exc:
        raise click.UsageError(f"[guard] settings: {exc}") from exc
    if merged.get("allow_network"):
        policy = replace(policy, allow_network=True)
    source, ref, label = open_snapshot(Path(merged["snapshot"]), trust, ledger_dir)
    key_dirs = tuple({Path(merged[k]).resolve().parent for k in ("workstation_key", "cert")})
    setup = Setup(
        workstation, trust, source, ref, label, ledger_dir,
        Reviewer(merged.get("reviewer") or "", merged["org"], reviewer_key), countersigner,
        60 * (merged.get("idle_minutes") or 5), merged.get("witness_minutes") or 15,
        policy, key_dirs, Path(merged["snapshot"]), key_files=_key_files(merged),
    )  # fmt: skip
    try:  # only now: every check has passed
        ledger_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(
            f"--ledger-dir {clean(ledger_dir)}: cannot be created: {exc.strerror or exc}"
        ) from exc
    return setup
