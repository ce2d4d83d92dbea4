"""Checks of the files: the layout's owners and modes, the unit and kiosk login as
installed, and the directories above them (check_exposed.py looks below them)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from . import layout, placing
from .accounts import gid_of, owner_of, uid_of
from .check_exposed import check_exposed
from .layout import Layout
from .problems import Problem
from .templates import render


@dataclass(frozen=True)
class Expect:
    path: str
    kind: str  # "dir" or "file"
    owner: str
    group: str
    mode: int


def expected(lay: Layout) -> list[Expect]:
    svc = lay.service
    return [
        Expect(layout.ETC, "dir", "root", svc, 0o750),
        Expect(layout.CONFIG, "file", "root", svc, 0o640),
        Expect(layout.STATE, "dir", "root", svc, 0o750),
        Expect(layout.SNAPSHOT_DIR, "dir", "root", svc, 0o750),
        Expect(layout.SNAPSHOT, "file", "root", svc, 0o440),
        Expect(layout.KEYS_DIR, "dir", "root", svc, 0o750),
        Expect(layout.WORKSTATION_KEY, "file", svc, svc, 0o400),
        Expect(layout.CERT, "file", "root", svc, 0o440),
        Expect(layout.TRUST, "file", "root", svc, 0o440),
        Expect(layout.LEDGERS, "dir", svc, svc, 0o700),
        Expect(layout.LIBEXEC, "dir", "root", "root", 0o755),
        Expect(layout.KIOSK, "file", "root", "root", 0o755),
        Expect(layout.UNIT, "file", "root", "root", 0o644),
        Expect(layout.RUN, "dir", svc, lay.group, 0o2750),
    ]


def optional(lay: Layout) -> list[Expect]:
    """Files only some workstations have, held to their owner and mode when present:
    a passphrase-protected key's passphrase (install --passphrase-file)."""
    return [Expect(layout.PASSPHRASE, "file", lay.service, lay.service, 0o400)]


def check_files(lay: Layout, templates: dict[str, bytes]) -> list[Problem]:
    out: list[Problem] = []
    wanted = expected(lay) + [e for e in optional(lay) if placing.lstat(lay.root, e.path)]
    for e in wanted:
        if e.path == layout.RUN and placing.lstat(lay.root, e.path) is None:
            continue  # reported once, as SOCKET_MISSING
        out += _expect(lay, e)
    out += check_exposed(lay, {e.path for e in wanted})
    out += _ancestors(lay)
    for final, code, name in (
        (layout.UNIT, "UNIT_CHANGED", "cleanroom-recorder.service"),
        (layout.KIOSK, "KIOSK_CHANGED", "kiosk-login"),
    ):
        digest = _digest(lay, final)
        if digest is not None and digest != placing.source_digest(templates[name]):
            out.append(
                Problem(code, f"{final} differs from what install writes; run install again", final)
            )
    return out


def templates_for(lay: Layout, values: dict[str, str]) -> dict[str, bytes]:
    return {n: render(n, values) for n in ("cleanroom-recorder.service", "kiosk-login")}


def _digest(lay: Layout, final: str) -> str | None:
    try:
        return placing.digest_of(lay.root, final)
    except (OSError, placing.PlacingError):
        return None  # reported as WRONG_TYPE or MISSING


def _expect(lay: Layout, e: Expect) -> list[Problem]:
    try:
        st = placing.lstat(lay.root, e.path)
    except placing.PlacingError as exc:
        return [Problem("WRONG_TYPE", f"{e.path}: {exc}", e.path)]
    if st is None:
        return [Problem("MISSING", f"{e.path} is missing; run install", e.path)]
    is_kind = stat.S_ISDIR(st.st_mode) if e.kind == "dir" else stat.S_ISREG(st.st_mode)
    if not is_kind:
        what = (
            "a symlink"
            if stat.S_ISLNK(st.st_mode)
            else "not a " + ("directory" if e.kind == "dir" else "regular file")
        )
        return [Problem("WRONG_TYPE", f"{e.path} is {what}", e.path)]
    out = []
    if (st.st_uid, st.st_gid) != (uid_of(e.owner), gid_of(e.group)):
        out.append(
            Problem(
                "WRONG_OWNER",
                f"{e.path} is owned by {owner_of(st)}, should be {e.owner}:{e.group}",
                e.path,
            )
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode != e.mode:
        out.append(
            Problem("WRONG_MODE", f"{e.path} has mode {mode:04o}, should be {e.mode:04o}", e.path)
        )
    return out


def _ancestors(lay: Layout) -> list[Problem]:
    """Every directory above the layout, up to /, must be root's and writable by
    root alone (or sticky, as /tmp is): whoever can rename an ancestor can swap
    the whole tree below it."""
    out = []
    tops = (layout.ETC, layout.STATE, layout.LIBEXEC, layout.UNIT)
    checked: set[str] = set()
    for top in tops:
        path = os.path.dirname(os.path.abspath(lay.at(top)))
        while path not in checked:
            checked.add(path)
            try:
                st = os.lstat(path)
            except OSError:
                break
            sticky = st.st_mode & stat.S_ISVTX
            if st.st_uid != 0 or (st.st_mode & 0o022 and not sticky):
                mode = stat.S_IMODE(st.st_mode)
                out.append(
                    Problem(
                        "ANCESTOR_WRITABLE",
                        f"{path} ({owner_of(st)} {mode:04o}) can be changed by someone but root",
                        path,
                    )
                )
            if path == "/":
                break
            path = os.path.dirname(path)
    return out
