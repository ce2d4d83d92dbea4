"""`cleanroom review` and `cleanroom demo`: start a recorded review session.

The order matters: keys, certificate and snapshot are checked and the
`session_start` is durable *before* the terminal UI (and textual) is loaded,
and the environment is scrubbed and the audit policy installed in between.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from ..guard.guard import Guard
from ..guard.network import read_network, start_check
from ..guard.places import Places
from ..guard.policy import Policy, PolicyError
from ..ledger.events import Reviewer, SnapshotRef
from ..ledger.finish import finish
from ..ledger.keys import Certificate, load_private_key, load_public_key, raw_public
from ..ledger.verify import verify_path
from ..ledger.writer import Ledger, Workstation
from ..sanitize import clean
from ..session.history import past_sessions, previous_head, unfinished_seals, unsealed
from ..session.recorder import Recorder
from ..session.review import Facts, ReviewSession
from ..session.source import Source


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


def open_snapshot(path: Path, trust: list[bytes]) -> tuple[Source, SnapshotRef, str]:
    """Open and verify a vendor-signed snapshot as a review source."""
    from ..session.snapshot_source import SnapshotSource
    from ..snapshot.search import prepare

    source = SnapshotSource.from_file(path, trust)
    prepare(source.snapshot)  # before the session: the first search is then as fast
    return source, source.ref, source.name


def run_session(setup: Setup, crashed_choice: str | None = None) -> Path:
    """Check the air gap, record `session_start` (or resume a crashed session), run
    the UI, and return the ledger path. `crashed_choice` answers 'resume' or
    'abandon' for a session a crash left unsealed; without it the operator is asked."""
    check = start_check(setup.policy, read_network())
    if check.action == "refuse":
        raise click.UsageError(check.explanation)
    # Starting on a network anyway is recorded by the guard's first alert.
    finish_seals(setup)
    ledger = settle_crashed(setup, crashed_choice) or start_ledger(setup)
    return _run_ui(setup, ledger)


def finish_seals(setup: Setup) -> None:
    """Finish the file of every sealed session whose seal could not (checkpoint,
    read-only, receipt), and say so. One that still cannot be finished is a
    usage error: the ledger directory needs the operator first."""
    setup.ledger_dir.mkdir(parents=True, exist_ok=True)
    for past in unfinished_seals(past_sessions(setup.ledger_dir, setup.workstation.cert.body)):
        try:
            done = finish(past.path)
        except ValueError as exc:
            raise click.UsageError(f"cannot finish {clean(past.path.name)}: {exc}") from exc
        if done.failed:
            raise click.UsageError(clean(done.describe(past.path)))
        click.echo(f"finished the seal of {clean(past.path.name)}: " + "; ".join(past.unfinished)
                   + f"; receipt {clean(done.receipt_path)}")  # fmt: skip


def settle_crashed(setup: Setup, choice: str | None) -> Ledger | None:
    """Close every unsealed session as abandoned, or resume one (returned)."""
    setup.ledger_dir.mkdir(parents=True, exist_ok=True)
    for crashed in unsealed(past_sessions(setup.ledger_dir, setup.workstation.cert.body)):
        answer = choice or click.prompt(
            f"Session {crashed.path.name} (reviewer {clean(crashed.reviewer)}) was not sealed. "
            "Resume it or close it as abandoned?",
            type=click.Choice(["resume", "abandon"]),
        )
        if answer == "resume" and crashed.snapshot != setup.snapshot.id:
            raise click.UsageError(
                f"{crashed.path.name} reviewed another snapshot; it can only be abandoned"
            )
        ledger = Ledger.resume(crashed.path, setup.workstation, "crash")
        if answer == "resume":
            return ledger
        ledger.seal("abandoned")
    return None


def start_ledger(setup: Setup) -> Ledger:
    """A new session ledger whose start names the previous session's head."""
    history = past_sessions(setup.ledger_dir, setup.workstation.cert.body)
    return Ledger.create(
        setup.ledger_dir,
        setup.workstation,
        setup.reviewer,
        setup.snapshot,
        previous_head(history),
    )


def _run_ui(setup: Setup, ledger: Ledger) -> Path:
    from ..tui.launch import prepare

    prepare([setup.ledger_dir])
    from ..tui.app import ReviewApp  # textual is imported only now

    facts = Facts(
        setup.reviewer.name,
        setup.reviewer.org,
        setup.workstation.cert.workstation,
        setup.snapshot_label,
        str(ledger.path),
    )
    guard = None
    writer: Any = ledger
    if setup.snapshot_path is not None:
        places = Places.of(setup.snapshot_path, ledger.path, setup.key_dirs,
                           setup.policy.media_roots)  # fmt: skip
        guard = Guard(setup.policy, places)
        writer = guard.watch_ledger(ledger)
        guard.start()
    session = ReviewSession(Recorder(writer), setup.source, facts, guard)
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
    return ledger.path


def report(path: Path, trust: list[bytes]) -> int:
    """Print the verdict on the ledger a session wrote; return its exit code (1 when
    the ledger is gone: moved or deleted under the session)."""
    if not path.is_file():
        click.echo(f"ledger   {clean(path)}: missing (moved or deleted during the session)")
        return 1
    verdict = verify_path(path, trust)
    click.echo(f"ledger   {clean(path)}")
    click.echo(f"verdict  {verdict.status.value}")
    for f in verdict.findings:
        click.echo(f"  {f.code}  {clean(f.message)}")
    head = verdict.summary.get("head")
    if head:
        click.echo(f"head     {head['seq']}:{head['witness']}")
    return verdict.exit_code


def _config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    with open(path, "rb") as f:
        try:
            return tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise click.UsageError(f"{clean(path)}: {exc}") from exc


def _from_config(cfg: dict[str, Any], key: str) -> Any:
    return cfg.get(key.replace("_", "-"), cfg.get(key))


@click.command()
@click.option("--config", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A workstation.toml holding the fixed options below.")  # fmt: skip
@click.option("--snapshot", type=click.Path(dir_okay=False, path_type=Path),
              help="The vendor-signed snapshot to review.")  # fmt: skip
@click.option("--ledger-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where session ledgers are written.")  # fmt: skip
@click.option("--workstation-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The workstation's private key.")  # fmt: skip
@click.option("--cert", type=click.Path(dir_okay=False, path_type=Path),
              help="The workstation's certificate.")  # fmt: skip
@click.option("--trust", type=click.Path(dir_okay=False, path_type=Path),
              help="The vendor public key that signed the snapshot and certificate.")  # fmt: skip
@click.option("--reviewer", help="The reviewer's name.")
@click.option("--org", help="The reviewer's organisation.")
@click.option("--reviewer-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The reviewer's private key, to countersign the seal.")  # fmt: skip
@click.option("--idle-minutes", type=click.IntRange(1, 240), help="Blank the screen after this.")
@click.option("--witness-minutes", type=click.IntRange(1, 240), help="Show a fresh witness code.")
@click.option("--allow-network", is_flag=True, default=None,
              help="Start even if the workstation is not air-gapped (recorded).")  # fmt: skip
@click.option("--resume", type=click.Choice(["resume", "abandon"]),
              help="What to do with a crashed, unsealed session (asked if omitted).")  # fmt: skip
def review(**opts: Any) -> None:
    """Start a recorded review session in the locked-down terminal UI.

    Checks the workstation certificate and the snapshot's vendor signature,
    finishes any earlier seal that could not finish its file, records the
    session start, then opens the reviewer terminal. Every file opened, screen
    shown and search made is recorded before it is shown. Exit status: the
    verdict on the ledger written (0 sealed and intact, 3 incomplete: unsealed,
    or sealed but its file unfinished), or 1 when that ledger is gone (moved or
    deleted during the session).
    """
    cfg = _config(opts.pop("config"))
    merged = {
        k: v if v is not None else cfg.get(k.replace("_", "-"), cfg.get(k)) for k, v in opts.items()
    }
    missing = [k for k in ("snapshot", "ledger_dir", "workstation_key", "cert", "trust",
                           "reviewer", "org") if not merged.get(k)]  # fmt: skip
    if missing:
        names = ", ".join("--" + m.replace("_", "-") for m in missing)
        raise click.UsageError(f"missing {names} (on the command line or in --config)")
    trust = [raw_public(load_public_key(Path(merged["trust"])))]
    cert = Certificate.load(Path(merged["cert"]))
    if not any(cert.signed_by(k) for k in trust):
        raise click.UsageError("the workstation certificate is not signed by the --trust key")
    workstation = Workstation(load_private_key(Path(merged["workstation_key"])), cert)
    source, ref, label = open_snapshot(Path(merged["snapshot"]), trust)
    countersigner = None
    reviewer_key = None
    if merged.get("reviewer_key"):
        countersigner = load_private_key(Path(merged["reviewer_key"]))
        reviewer_key = raw_public(countersigner).hex()
    try:
        policy = Policy.from_dict("review", cfg.get("guard", {}))
    except PolicyError as exc:
        raise click.UsageError(f"[guard] settings: {exc}") from exc
    if merged.get("allow_network"):
        policy = replace(policy, allow_network=True)
    key_dirs = tuple({Path(merged[k]).resolve().parent for k in ("workstation_key", "cert")})
    setup = Setup(
        workstation, trust, source, ref, label, Path(merged["ledger_dir"]),
        Reviewer(merged["reviewer"], merged["org"], reviewer_key), countersigner,
        60 * (merged.get("idle_minutes") or 5), merged.get("witness_minutes") or 15,
        policy, key_dirs, Path(merged["snapshot"]),
    )  # fmt: skip
    path = run_session(setup, merged.get("resume"))
    raise SystemExit(report(path, trust))
