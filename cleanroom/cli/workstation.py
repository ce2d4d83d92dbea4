"""`cleanroom workstation install|check`: set up a review room, and say what is wrong with one.

Exit codes. install: 0 done (or nothing to change), 1 a step failed (the steps
before it stay done; run it again), 2 usage (nothing changed). check: 0 no
problem, 1 at least one problem (each on its own line), 2 usage.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..jsonsafe import name_fields, strict
from ..sanitize import clean
from ..workstation import layout, placing
from ..workstation.check import FORMAT, check
from ..workstation.install import apply
from ..workstation.layout import Layout
from ..workstation.plan import PlanError, Request, build
from ..workstation.problems import CODES
from . import UsageProblem

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _layout_options(f):  # noqa: ANN001, ANN202 - a click decorator
    f = click.option(
        "--python",
        default=os.path.abspath(sys.executable),
        show_default="this Python",
        help="The Python that has Cleanroom installed, for the unit and the kiosk login.",
    )(f)
    f = click.option(
        "--group", default=layout.GROUP, show_default=True, help="The reviewer group."
    )(f)
    f = click.option(
        "--service-account",
        default=layout.SERVICE,
        show_default=True,
        help="The recorder's system account.",
    )(f)
    f = click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("/"),
        show_default=True,
        help="Install prefix for files (accounts are always the system's); never a symlink.",
    )(f)
    return f


def _layout(root: Path, service_account: str, group: str) -> Layout:
    try:
        os.close(placing.open_root(root))
    except placing.PlacingError as exc:
        raise UsageProblem(f"--root: {exc}") from exc
    return Layout(root, service_account, group)


@click.group()
def workstation() -> None:
    """Set up a review workstation and check it (docs/deploy.md)."""


@workstation.command()
@_layout_options
@click.option("--reviewer", "reviewers", multiple=True, metavar="NAME",
              help="A reviewer account to create or adopt (repeatable): put in the group, "
              "its login shell the kiosk login.")  # fmt: skip
@click.option("--snapshot", type=_FILE, help="The vendor-signed snapshot to copy in.")
@click.option("--workstation-key", type=_FILE, help="The workstation's private key to copy in.")
@click.option("--cert", type=_FILE, help="The workstation's certificate to copy in.")
@click.option("--trust", type=_FILE, help="The vendor root public key to copy in.")
@click.option("--passphrase-file", type=_FILE,
              help="The passphrase of a passphrase-protected --workstation-key (its first "
                   "line): copied in for the recorder alone (0400) and named in "
                   "workstation.toml [recorder] passphrase_file.")  # fmt: skip
@click.option("--org", metavar="NAME",
              help="The reviewers' organisation, recorded in every session (workstation.toml "
                   "`org`); needed while workstation.toml is not there yet.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print every change and make none.")
def install(
    root: Path,
    service_account: str,
    group: str,
    python: str,
    reviewers: tuple[str, ...],
    snapshot: Path | None,
    workstation_key: Path | None,
    cert: Path | None,
    trust: Path | None,
    passphrase_file: Path | None,
    org: str | None,
    dry_run: bool,
) -> None:
    """Create the accounts, directories, recorder unit and kiosk login (run as root).

    Idempotent: each change is made only if it is not already in place, so a
    second run with the same options changes nothing and says so. Files are
    placed under --root; the snapshot and keys are copied in so that only the
    service account can read them. A passphrase-protected workstation key needs
    --passphrase-file, which must open it. It writes the systemd unit but never starts
    it. Exit status: 0 done, 1 a step failed (run it again to finish), 2 usage
    (nothing changed).
    """
    lay = _layout(root, service_account, group)
    if not dry_run and os.geteuid() != 0:
        raise UsageProblem("install must run as root (or use --dry-run)")
    req = Request(lay, python, reviewers, snapshot, workstation_key, cert, trust, passphrase_file,
                  org)  # fmt: skip
    try:
        plan = build(req)
    except PlanError as exc:
        raise UsageProblem(clean(exc)) from exc
    outcome = apply(plan, dry_run, click.echo)
    if outcome.failed:
        click.echo(
            f"install stopped after {len(outcome.done)} change(s); fix it and run install again",
            err=True,
        )
        sys.exit(1)
    if not outcome.done:
        click.echo("nothing to change: the workstation is already installed as asked")
    elif dry_run:
        click.echo(f"{len(outcome.done)} change(s) would be made; none was made (--dry-run)")
    else:
        click.echo(f"{len(outcome.done)} change(s) made")
    if not dry_run:
        click.echo(
            f"next: systemctl daemon-reload && systemctl enable --now {layout.UNIT_NAME}"
            + ("" if os.path.isdir("/run/systemd/system") else " (systemd is not running here)")
        )


@workstation.command(name="check")
@_layout_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--ignore", multiple=True, type=click.Choice(sorted(CODES)), metavar="CODE",
              help="Report this code as ignored, not as a problem (repeatable).")  # fmt: skip
def check_command(
    root: Path,
    service_account: str,
    group: str,
    python: str,
    as_json: bool,
    ignore: tuple[str, ...],
) -> None:
    """Report everything wrong with this workstation, one line per problem (run as root).

    Accounts (service account, reviewer group, kiosk shells), files (owners and
    modes, nothing in the configuration or state directories open to others),
    the unit and kiosk login as installed, the recorder's socket, the network,
    the ledger's filesystem, the kernel's link protections and the clock. Codes
    are listed in docs/deploy.md. Exit status: 0 no problem, 1 problems, 2 usage.
    """
    lay = _layout(root, service_account, group)
    if os.geteuid() != 0:
        raise UsageProblem(
            "check must run as root: it reads files that only root and the service can"
        )
    report = check(lay, python, ignore)
    if as_json:
        doc = {
            "format": FORMAT,
            "ok": report.ok,
            "problems": [_json(p) for p in report.problems],
            "ignored": [_json(p) for p in report.ignored],
        }
        click.echo(strict(json.dumps(doc, indent=2, ensure_ascii=True)))
    else:
        for p in report.problems:
            click.echo(f"{p.code}: {clean(p.message)}")
        for p in report.ignored:
            click.echo(f"ignored {p.code}: {clean(p.message)}")
        click.echo("no problems found" if report.ok else f"{len(report.problems)} problem(s) found")
    sys.exit(0 if report.ok else 1)


def _json(p) -> dict[str, str]:  # noqa: ANN001
    doc = {"code": p.code, "message": p.message}
    if p.path:
        doc.update(name_fields(p.path))
    return doc
