"""The install as a list of changes, from what the administrator asked for.

Everything is checked before the list exists: account names, that no named
account is root or doubles as another role, that the source files are regular
files we can read, and that every value fits its template. A bad request
therefore changes nothing (PlanError).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..sanitize import clean
from . import accounts, layout
from .changes import (
    Change,
    Dir,
    File,
    Group,
    ParentDir,
    RecorderSetting,
    Reviewer,
    ServiceAccount,
)
from .layout import Layout
from .names import BadName, account_name
from .sources import SourceError, check_sources
from .templates import TemplateError, render


class PlanError(ValueError):
    """The request cannot be planned; nothing was changed."""


@dataclass(frozen=True)
class Request:
    layout: Layout
    python: str
    reviewers: tuple[str, ...] = ()
    snapshot: Path | None = None
    workstation_key: Path | None = None
    cert: Path | None = None
    trust: Path | None = None
    passphrase_file: Path | None = None  # for a passphrase-protected workstation key
    org: str | None = None  # the reviewers' organisation; needed unless the config exists


def values(lay: Layout, python: str) -> dict[str, str]:
    """What the templates are filled with."""
    chgrp = next((p for p in ("/usr/bin/chgrp", "/bin/chgrp") if os.path.exists(p)), "/bin/chgrp")
    return {
        "SERVICE": lay.service,
        "GROUP": lay.group,
        "PYTHON": python,
        "CHGRP": chgrp,
        "CONFIG": layout.CONFIG,
        "LEDGERS": layout.LEDGERS,
        "RUN": layout.RUN,
        "RUN_NAME": os.path.basename(layout.RUN),
        "SOCKET": layout.SOCKET,
        "SNAPSHOT": layout.SNAPSHOT,
        "WORKSTATION_KEY": layout.WORKSTATION_KEY,
        "CERT": layout.CERT,
        "TRUST": layout.TRUST,
    }


def build(req: Request) -> list[Change]:
    """The changes, in the order they must be applied. PlanError for a bad request."""
    lay = req.layout
    _check_names(req)
    _check_python(req.python)
    sources = {
        "--snapshot": req.snapshot,
        "--workstation-key": req.workstation_key,
        "--cert": req.cert,
        "--trust": req.trust,
        "--passphrase-file": req.passphrase_file,
    }
    for option, path in sources.items():
        if path is not None:
            _check_source(option, path)
    try:
        check_sources(req.workstation_key, req.cert, req.trust, req.passphrase_file)
    except SourceError as exc:
        raise PlanError(str(exc)) from exc
    if req.org is None and not lay.at(layout.CONFIG).exists():
        raise PlanError(
            "--org is needed to write workstation.toml: the organisation whose reviewers "
            "use this room, recorded in every session (the recorder refuses to start "
            "without it)"
        )
    try:
        filled = {
            n: render(n, values(lay, req.python))
            for n in ("cleanroom-recorder.service", "kiosk-login")
        }
        # Without --org the config is there already and is kept: this is never written.
        org = {"ORG": req.org if req.org is not None else "kept"}
        filled["workstation.toml"] = render("workstation.toml", values(lay, req.python), org)
    except TemplateError as exc:
        raise PlanError(str(exc)) from exc
    root, svc = lay.root, lay.service
    passphrase = []
    if req.passphrase_file is not None:  # the recorder opens the key unattended with it
        setting = f'passphrase_file = "{layout.PASSPHRASE}"'
        filled["workstation.toml"] = filled["workstation.toml"].replace(
            b"[recorder]\n", b"[recorder]\n" + setting.encode() + b"\n", 1
        )
        passphrase = [
            File(root, layout.PASSPHRASE, req.passphrase_file, svc, svc, 0o400),
            RecorderSetting(root, layout.CONFIG, "passphrase_file", layout.PASSPHRASE),
        ]
    plan: list[Change] = [
        Group(lay.group),
        ServiceAccount(svc, layout.STATE),
        ParentDir(root, "/etc"),
        ParentDir(root, "/etc/systemd"),
        ParentDir(root, "/etc/systemd/system"),
        ParentDir(root, "/usr"),
        ParentDir(root, "/usr/local"),
        ParentDir(root, "/usr/local/lib"),
        ParentDir(root, "/var"),
        ParentDir(root, "/var/lib"),
        Dir(root, layout.LIBEXEC, "root", "root", 0o755),
        File(root, layout.KIOSK, filled["kiosk-login"], "root", "root", 0o755),
        *(Reviewer(name, lay.group, layout.KIOSK) for name in dict.fromkeys(req.reviewers)),
        Dir(root, layout.ETC, "root", svc, 0o750),
        File(root, layout.CONFIG, filled["workstation.toml"], "root", svc, 0o640, keep=True),
        Dir(root, layout.STATE, "root", svc, 0o750),
        Dir(root, layout.SNAPSHOT_DIR, "root", svc, 0o750),
        Dir(root, layout.KEYS_DIR, "root", svc, 0o750),
        Dir(root, layout.LEDGERS, svc, svc, 0o700),
        File(root, layout.UNIT, filled["cleanroom-recorder.service"], "root", "root", 0o644),
    ]
    placed = [
        (req.snapshot, layout.SNAPSHOT, "root", 0o440),
        # A private key must be its reader's alone (ledger.keys refuses group bits).
        (req.workstation_key, layout.WORKSTATION_KEY, svc, 0o400),
        (req.cert, layout.CERT, "root", 0o440),
        (req.trust, layout.TRUST, "root", 0o440),
    ]
    plan += [File(root, dest, src, owner, svc, mode) for src, dest, owner, mode in placed if src]
    return plan + passphrase


def _check_names(req: Request) -> None:
    lay = req.layout
    try:
        account_name(lay.service, "service account")
        account_name(lay.group, "group")
        for name in req.reviewers:
            account_name(name, "reviewer")
    except BadName as exc:
        raise PlanError(str(exc)) from exc
    if lay.service == lay.group:
        raise PlanError("the service account and the reviewer group need different names")
    for name in req.reviewers:
        if name in (lay.service, lay.group):
            raise PlanError(f"reviewer {name!r} is also the service account or the group")
        a = accounts.account(name)
        if a is not None and a.uid == 0:
            raise PlanError(f"reviewer {name!r} is root (uid 0); a reviewer must be unprivileged")
    svc = accounts.account(lay.service)
    if svc is not None and svc.uid == 0:
        raise PlanError(f"service account {lay.service!r} is root (uid 0)")


def _check_python(python: str) -> None:
    if not os.path.isabs(python) or not os.access(python, os.X_OK):
        raise PlanError(f"--python {clean(python)!r} is not an absolute path to an executable")


def _check_source(option: str, path: Path) -> None:
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise PlanError(f"{option} {clean(path)} is not a regular file")
        with open(path, "rb") as f:
            f.read(1)
    except OSError as exc:
        raise PlanError(f"{option} {clean(path)}: {exc.strerror or exc}") from exc
