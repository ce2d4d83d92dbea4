"""Checks of the accounts: the service account, the group and its reviewers."""

from __future__ import annotations

import os

from . import accounts, layout
from .layout import Layout
from .problems import Problem


def check_accounts(lay: Layout) -> list[Problem]:
    out: list[Problem] = []
    svc = accounts.account(lay.service)
    if svc is None:
        out.append(Problem("SERVICE_MISSING", f"service account {lay.service} does not exist"))
    else:
        if not accounts.uses_nologin(svc.shell):
            out.append(
                Problem(
                    "SERVICE_SHELL",
                    f"service account {lay.service} has the login shell {svc.shell}",
                )
            )
        bad = sorted(accounts.groups_of(lay.service) & set(accounts.PRIVILEGED_GROUPS))
        if svc.uid == 0 or bad:
            why = "is root (uid 0)" if svc.uid == 0 else f"is in {', '.join(bad)}"
            out.append(Problem("SERVICE_PRIVILEGED", f"service account {lay.service} {why}"))
    if accounts.group_id(lay.group) is None:
        out.append(Problem("GROUP_MISSING", f"reviewer group {lay.group} does not exist"))
        return out
    reviewers = [m for m in accounts.members(lay.group) if m != lay.service]
    if not reviewers:
        out.append(Problem("NO_REVIEWERS", f"reviewer group {lay.group} has no members"))
    for name in reviewers:
        out += _reviewer(lay, name, svc)
    return out


def _reviewer(lay: Layout, name: str, svc: accounts.Account | None) -> list[Problem]:
    out = []
    a = accounts.account(name)
    if a is None:
        return out
    if a.shell != layout.KIOSK:
        out.append(
            Problem(
                "REVIEWER_SHELL",
                f"reviewer {name} has the login shell {a.shell or '(none)'}, not {layout.KIOSK}",
            )
        )
    groups = accounts.groups_of(name)
    bad = sorted(groups & set(accounts.PRIVILEGED_GROUPS))
    if svc is not None and lay.service in groups:
        bad.append(lay.service)
    if a.uid == 0 or bad:
        why = "is root (uid 0)" if a.uid == 0 else f"is in {', '.join(bad)}"
        out.append(Problem("REVIEWER_PRIVILEGED", f"reviewer {name} {why}"))
    out += _same_filesystem(lay, name, a.home)
    return out


def _same_filesystem(lay: Layout, name: str, home: str) -> list[Problem]:
    """A reviewer who fills their home fills the ledger's disk, and the recorder then
    refuses to serve: the ledgers belong on a filesystem of their own."""
    try:
        ledgers = os.stat(lay.at(layout.LEDGERS)).st_dev
        theirs = os.stat(home).st_dev
    except OSError:
        return []
    if ledgers != theirs:
        return []
    return [
        Problem(
            "LEDGER_SHARES_HOME_FS",
            f"the ledger directory is on the same filesystem as {name}'s home {home}",
            str(lay.at(layout.LEDGERS)),
        )
    ]
