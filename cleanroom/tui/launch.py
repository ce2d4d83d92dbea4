"""Prepare the process before textual is imported, then run an app.

textual reads TEXTUAL* variables at import time (screenshots to disk, log
files, driver modules, auto-pressed keys, devtools sockets), so they are
deleted first. Then the audit policy goes in: no network, no processes, no
writes outside the ledger directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from . import audit


class UnsafeStart(RuntimeError):
    """textual was imported before the environment could be scrubbed."""


def scrub_environment(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    removed = sorted(k for k in environ if k == "TEXTUAL" or k.startswith("TEXTUAL_"))
    for key in removed:
        del environ[key]
    return removed


def prepare(writable: list[Path]) -> list[str]:
    """Scrub the environment and install the audit policy. Returns what was scrubbed."""
    if any(m == "textual" or m.startswith("textual.") for m in sys.modules):
        raise UnsafeStart("textual was imported before the environment was scrubbed")
    removed = scrub_environment()
    sys.dont_write_bytecode = True
    audit.install(writable)
    return removed
