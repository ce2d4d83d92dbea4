"""Two start checks of the reviewer process, before anything is recorded.

- `harden_process`: no core file and no same-user memory reads
  (`cleanroom.hardening`); run as early as `review` and `demo` start, before any
  key is loaded or the snapshot mapped.
- `require_terminal`: stdin, stdout and stderr must all be terminals. With
  stdin a pipe (`echo y | cleanroom review ...`) no key ever reached the app
  after `session_start` was recorded; with stderr (where the UI is drawn) or
  stdout redirected, source would be written to a file. Checked before the
  first ledger entry.

Both are usage errors (exit 2) when they fail.
"""

from __future__ import annotations

import os

import click

from ..hardening import NotHardened, harden

STREAMS = ((0, "stdin"), (1, "stdout"), (2, "stderr"))


def harden_process() -> None:
    try:
        harden()
    except NotHardened as exc:
        raise click.UsageError(f"the reviewer process cannot be protected: {exc}") from exc


def require_terminal() -> None:
    not_tty = [name for fd, name in STREAMS if not os.isatty(fd)]
    if not_tty:
        raise click.UsageError(
            f"{' and '.join(not_tty)} {'is' if len(not_tty) == 1 else 'are'} not a terminal: "
            "the reviewer terminal runs only in a terminal, with nothing piped in or out; "
            "nothing was recorded"
        )
