"""Prepare the process before textual is imported, then run an app.

The interpreter must be isolated (`cleanroom.isolation`: `-I`, so no PYTHON*
variable, user site or debugger flag reached it), or nothing starts. textual
reads TEXTUAL* variables at import time (screenshots to disk, log files, driver
modules, auto-pressed keys, devtools sockets), so they are deleted first, with
COLUMNS and LINES (a fixed size the UI would keep after a resize) and
every PYTHON* variable, so that no child and no exit-time check (PYTHONINSPECT)
sees one. `breakpoint()` is made to refuse. Then the audit policy goes in: no
network, no processes, no native calls, no debugger or prompt, no writes
outside the ledger directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import Any

from .. import isolation
from . import audit

# COLUMNS and LINES fix the size textual reads (shutil.get_terminal_size) for the
# whole session: the UI kept painting, and recording, that size whatever the
# terminal's (attack review). The terminal says its own size.
SIZE_VARIABLES = frozenset({"COLUMNS", "LINES"})


class UnsafeStart(RuntimeError):
    """textual was imported before the environment could be scrubbed."""


def scrub_environment(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    removed = sorted(
        k for k in environ if k == "TEXTUAL" or k.startswith("TEXTUAL_") or k in SIZE_VARIABLES
    )
    for key in removed:
        del environ[key]
    return sorted(removed + isolation.scrub(environ))


def refuse_breakpoint(*args: Any, **kwargs: Any) -> None:
    """`sys.breakpointhook` in the reviewer process: a debugger prompt on the
    reviewer's terminal would read anything the process holds."""
    raise audit.PolicyViolation("blocked by the clean-room policy: breakpoint()")


def prepare(writable: list[Path], sockets: Sequence[Path] = ()) -> list[str]:
    """Check isolation, scrub the environment, close `breakpoint()` and install the
    audit policy (`sockets`: the Unix socket paths the app needs, none by default).
    Returns what was scrubbed. Raises NotIsolated when the
    interpreter is not isolated, UnsafeStart when textual is already imported."""
    isolation.require()  # NotIsolated: the CLI says it plainly, exit 2
    if any(m == "textual" or m.startswith("textual.") for m in sys.modules):
        raise UnsafeStart("textual was imported before the environment was scrubbed")
    removed = scrub_environment()
    sys.dont_write_bytecode = True
    sys.breakpointhook = refuse_breakpoint
    audit.install(writable, sockets)
    return removed
