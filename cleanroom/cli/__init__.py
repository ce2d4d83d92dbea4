"""The `cleanroom` command line. Thin: each command group lives in its own module.

Exit codes are documented in docs/verdict.md: 0 intact and sealed, 1 tampered,
invalid or untrusted (including a snapshot changed after signing), 3 intact but
incomplete, 2 usage (including unreadable keys, witnesses or receipts given on
the command line).
"""

from __future__ import annotations

import click

from ..isolation import NotIsolated
from ..ledger.forked import ChildFailed
from ..ledger.keys import KeyFileError
from ..ledger.witness import WitnessError
from ..ledger.writer import LedgerError
from ..sanitize import clean
from ..snapshot.store import SnapshotError, SnapshotTampered


class UsageProblem(click.ClickException):
    """Something the user gave us cannot be used. Never a traceback."""

    exit_code = 2


class TamperedProblem(click.ClickException):
    """What was given is signed, but was changed after signing: as a verdict, exit 1."""

    exit_code = 1


class CleanroomGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SnapshotTampered as exc:
            raise TamperedProblem(clean(exc)) from exc
        except (
            KeyFileError,
            WitnessError,
            LedgerError,
            SnapshotError,
            OSError,
            UnicodeError,
            NotIsolated,
            ChildFailed,  # a verifying process was killed (out of memory, a signal)
        ) as exc:
            raise UsageProblem(clean(exc)) from exc


@click.group(cls=CleanroomGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cleanroom")
def main() -> None:
    """Cleanroom: record, verify and investigate source code reviews."""


def _register() -> None:
    from .demo import demo
    from .keys import keys
    from .recorder import recorder
    from .replay import replay
    from .report import report
    from .review import review
    from .snapshot import snapshot
    from .verify import verify
    from .whoviewed import who_viewed_command
    from .workstation import workstation

    commands = (
        keys,
        snapshot,
        review,
        recorder,
        demo,
        verify,
        report,
        who_viewed_command,
        replay,
        workstation,
    )
    for command in commands:
        main.add_command(command)


_register()
