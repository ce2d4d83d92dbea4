"""The interpreter's own ways in, closed: Cleanroom's terminals run in isolated mode.

CPython reads `PYTHON*` variables (PYTHONPATH, PYTHONSTARTUP, PYTHONINSPECT,
PYTHONHOME, PYTHONUSERBASE, PYTHONBREAKPOINT, PYTHONPYCACHEPREFIX, ...), the
user's site-packages and the current directory, and some of them only at exit
(PYTHONINSPECT gives a `>>>` prompt after the program ends, even when it was
set at run time). Each one puts code into the process that shows source and
signs the ledger, or a prompt after it. `-I` (isolated mode: `-E -s -P`) makes
the interpreter ignore all of them. ADR 0201 says why the installed command is
a shell launcher and what each layer does:

- `bin/cleanroom` (the installed command) starts Python with `-I`, so nothing
  from the environment runs before Cleanroom's first line;
- `main` (`python -m cleanroom`) re-executes itself isolated when it was not;
- `require` refuses to start a terminal in an interpreter that is not isolated,
  and `scrub` removes the variables so no child inherits them.

Standard library only, and imported before anything else in `cleanroom`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence

REEXEC_MARK = "CLEANROOM_ISOLATED_REEXEC"  # set on the re-exec: never loop


class NotIsolated(RuntimeError):
    """The interpreter honours the environment, the user site or a debugger flag."""


def problems() -> list[str]:
    """What keeps this interpreter from being isolated, in words (empty when it is)."""
    f = sys.flags
    wanted = {
        "isolated": "not started with -I",
        "ignore_environment": "PYTHON* variables are honoured (no -E)",
        "no_user_site": "the user's site-packages are on the path (no -s)",
        "safe_path": "the script's directory or the current one is on the path (no -P)",
    }
    out = [why for name, why in wanted.items() if not getattr(f, name, 0)]
    if getattr(f, "inspect", 0) or getattr(f, "interactive", 0):
        out.append("an interactive prompt would follow (-i)")
    if sys._xoptions:  # e.g. -X pycache_prefix=DIR would read bytecode from DIR
        out.append("-X options are set: " + ", ".join(sorted(map(str, sys._xoptions))))
    if sys.warnoptions:
        out.append("-W options are set")
    return out


def is_isolated() -> bool:
    return not problems()


def python_variables(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """The variables CPython (or a tool started by it) would read: every PYTHON*."""
    return sorted(k for k in environ if k.upper().startswith("PYTHON"))


def scrub(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Remove every PYTHON* variable (from the process environment too, via
    os.environ's unsetenv), so that no child and no exit-time check sees one.
    Returns the names removed."""
    removed = python_variables(environ)
    for key in removed:
        del environ[key]
    return removed


def require() -> None:
    """Raise NotIsolated unless this interpreter is isolated (see `problems`)."""
    found = problems()
    if found:
        raise NotIsolated(
            "the reviewer terminal must run in an isolated Python ("
            + "; ".join(found)
            + "): start it with the installed `cleanroom` command or `python -I -m cleanroom`"
        )


def command(argv: Sequence[str]) -> list[str]:
    """The argument vector that runs `cleanroom` with `argv[1:]` in isolated mode."""
    return [sys.executable, "-I", "-m", "cleanroom", *argv[1:]]


def reexec(argv: Sequence[str]) -> None:
    """Replace this process by an isolated one running the same command, with the
    PYTHON* variables removed. Refuses (NotIsolated) rather than loop when an
    earlier re-exec did not give an isolated interpreter."""
    if os.environ.get(REEXEC_MARK):
        require()
        return
    scrub()
    os.environ[REEXEC_MARK] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command(argv))  # noqa: S606 - our own interpreter, fixed argv


def main() -> None:
    """`python -m cleanroom`: isolated, or re-executed so, before the CLI is imported."""
    if not is_isolated():
        reexec(sys.argv)
    os.environ.pop(REEXEC_MARK, None)
    from .cli import main as cli

    cli(prog_name="cleanroom")
