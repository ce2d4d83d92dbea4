"""The `cleanroom` command line. Thin: each command group lives in its own module.

Exit codes are documented in docs/verdict.md: 0 intact and sealed, 1 tampered,
invalid or untrusted (including a snapshot changed after signing), 3 intact but
incomplete, 2 usage (including unreadable keys, witnesses or receipts given on
the command line), 70 a failure the command cannot name (said in one line).
"""

from __future__ import annotations

import importlib
import sys

import click

from ..isolation import NotIsolated
from ..ledger.forked import ChildFailed
from ..sanitize import clean


class UsageProblem(click.ClickException):
    """Something the user gave us cannot be used. Never a traceback."""

    exit_code = 2


class Unexpected(click.ClickException):
    """A failure the command has no words for: said in one line, exit 70."""

    exit_code = 70


class TamperedProblem(click.ClickException):
    """What was given is signed, but was changed after signing: as a verdict, exit 1."""

    exit_code = 1


# Each command's module, imported only when that command runs (or --help lists
# them): importing all ten cost `cleanroom verify` about twice the CPU of the
# modules it needs (textual, the recorder, forensics), 0.2-0.3 s a run, more than
# verifying 5,000 entries takes.
COMMANDS = {
    "demo": ("demo", "demo"),
    "keys": ("keys", "keys"),
    "notes": ("notes_commands", "notes"),
    "recorder": ("recorder", "recorder"),
    "replay": ("replay", "replay"),
    "report": ("report", "report"),
    "review": ("review", "review"),
    "snapshot": ("snapshot", "snapshot"),
    "verify": ("verify", "verify"),
    "who-viewed": ("whoviewed", "who_viewed_command"),
    "workstation": ("workstation", "workstation"),
}
# Errors that are the user's to fix, by module: a module that was never imported
# raised none of them, so none is imported here to be caught.
USAGE_ERRORS = {
    "cleanroom.ledger.keys": ("KeyFileError",),
    "cleanroom.ledger.witness": ("WitnessError",),
    "cleanroom.ledger.writer": ("LedgerError",),
    "cleanroom.snapshot.store": ("SnapshotError",),
}


def _loaded(names: dict[str, tuple[str, ...]]) -> tuple[type[BaseException], ...]:
    """The classes named, from those of their modules that are imported."""
    found = (
        getattr(sys.modules[module], name)
        for module, classes in names.items()
        if module in sys.modules
        for name in classes
    )
    return tuple(found)


class CleanroomGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, name = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f".{module}", __name__), name)
            assert command.name == cmd_name, (command.name, cmd_name)
            self.add_command(command)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if isinstance(exc, _loaded({"cleanroom.snapshot.store": ("SnapshotTampered",)})):
                raise TamperedProblem(clean(exc)) from exc
            usage = (
                *_loaded(USAGE_ERRORS),
                OSError,
                UnicodeError,
                NotIsolated,
                ChildFailed,  # a verifying process was killed (out of memory, a signal)
            )
            if isinstance(exc, usage):
                raise UsageProblem(clean(exc)) from exc
            if isinstance(exc, click.ClickException | click.exceptions.Exit | click.Abort):
                raise
            # Anything else (a bug, or an outside tool that failed): one line, never a
            # traceback, which could show local values (docs/verdict.md, exit codes).
            raise Unexpected(f"failed: {type(exc).__name__}: {clean(exc)}") from exc


@click.group(cls=CleanroomGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cleanroom")
def main() -> None:
    """Cleanroom: record, verify and investigate source code reviews."""
