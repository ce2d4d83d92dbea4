"""Applying a plan: each change's steps in order, saying each one.

The plan is re-read change by change, so each step sees the system as the steps
before it left it (the group exists before a reviewer is put in it). The first
step that fails stops the install; what was done until then stays done and is
listed, and running the install again finishes the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..sanitize import clean
from .changes import Change


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)
    failed: str = ""


def apply(plan: Sequence[Change], dry_run: bool, say: Callable[[str], None]) -> Outcome:
    """Do (or with `dry_run` only list) every step the plan still needs."""
    out = Outcome()
    for change in plan:
        try:
            steps = change.todo()
        except (OSError, RuntimeError) as exc:
            out.failed = f"{type(change).__name__}: {clean(exc)}"
            say(f"failed: {out.failed}")
            return out
        for step in steps:
            if dry_run:
                say(f"would {clean(step.what)}")
                out.done.append(step.what)
                continue
            try:
                step.do()
            except (OSError, RuntimeError) as exc:
                out.failed = f"{clean(step.what)}: {clean(exc)}"
                say(f"failed: {out.failed}")
                return out
            say(f"done: {clean(step.what)}")
            out.done.append(step.what)
    return out
