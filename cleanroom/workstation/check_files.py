"""Checks of the files: the layout's owners and modes, nothing open to others below
/etc/cleanroom and /var/lib/cleanroom, the unit and kiosk login as installed,
the directories above, and the recorder's socket."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from . import layout, placing
from .changes import gid_of, uid_of
from .layout import Layout
from .problems import Problem
from .templates import render

MAX_ENTRIES = 100_000  # a walk of the protected trees stops here, saying so


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
        Expect(layout.RUN, "dir", svc, lay.group, 0o750),
    ]


def check_files(lay: Layout, templates: dict[str, bytes]) -> list[Problem]:
    out: list[Problem] = []
    wanted = expected(lay)
    for e in wanted:
        if e.path == layout.RUN and placing.lstat(lay.root, e.path) is None:
            continue  # reported once, as SOCKET_MISSING
        out += _expect(lay, e)
    out += _exposed(lay, {e.path for e in wanted})
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
    out += check_socket(lay)
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
                f"{e.path} is owned by {_ids(st)}, should be {e.owner}:{e.group}",
                e.path,
            )
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode != e.mode:
        out.append(
            Problem("WRONG_MODE", f"{e.path} has mode {mode:04o}, should be {e.mode:04o}", e.path)
        )
    return out


def _ids(st: os.stat_result) -> str:
    import grp
    import pwd

    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"{user}:{group}"


def _exposed(lay: Layout, known: set[str]) -> list[Problem]:
    """Anything below the protected trees that someone but root and the service can
    reach: other bits, group bits for a group other than root's or the service's,
    another owner, or a symlink (which could point the service elsewhere)."""
    svc_uid, svc_gid = uid_of(lay.service), gid_of(lay.service)
    out: list[Problem] = []
    seen = 0
    for top in layout.PROTECTED:
        base = lay.at(top)
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            for name in sorted(dirnames + filenames):
                seen += 1
                if seen > MAX_ENTRIES:
                    out.append(
                        Problem(
                            "EXPOSED",
                            f"over {MAX_ENTRIES} entries below {top}; the rest was not checked",
                            top,
                        )
                    )
                    return out
                path = os.path.join(dirpath, name)
                final = "/" + os.path.relpath(path, lay.root)
                if final in known:
                    continue
                out += _entry(path, final, svc_uid, svc_gid)
    return out


def _entry(path: str, final: str, svc_uid: int | None, svc_gid: int | None) -> list[Problem]:
    try:
        st = os.lstat(path)
    except OSError:
        return []
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return [
            Problem(
                "WRONG_TYPE",
                f"{final} is a symlink, where only the service's own files belong",
                final,
            )
        ]
    if mode & 0o007:
        return [Problem("EXPOSED", f"{final} is open to everyone (mode {mode:04o})", final)]
    if mode & 0o070 and st.st_gid not in (0, svc_gid):
        return [
            Problem(
                "EXPOSED",
                f"{final} is open to group {_ids(st).split(':')[1]} (mode {mode:04o})",
                final,
            )
        ]
    if st.st_uid not in (0, svc_uid):
        return [Problem("EXPOSED", f"{final} is owned by {_ids(st).split(':')[0]}", final)]
    return []


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
                        f"{path} ({_ids(st)} {mode:04o}) can be changed by someone but root",
                        path,
                    )
                )
            if path == "/":
                break
            path = os.path.dirname(path)
    return out


def check_socket(lay: Layout) -> list[Problem]:
    try:
        st = placing.lstat(lay.root, layout.SOCKET)
    except placing.PlacingError as exc:
        return [Problem("SOCKET_MISSING", f"{layout.SOCKET}: {exc}", layout.SOCKET)]
    if st is None or not stat.S_ISSOCK(st.st_mode):
        why = "is missing" if st is None else "is not a socket"
        return [
            Problem(
                "SOCKET_MISSING",
                f"{layout.SOCKET} {why}: is the recorder running? "
                f"(systemctl status {layout.UNIT_NAME})",
                layout.SOCKET,
            )
        ]
    out = []
    if (st.st_uid, st.st_gid) != (uid_of(lay.service), gid_of(lay.group)):
        out.append(
            Problem(
                "SOCKET_OWNER",
                f"{layout.SOCKET} is owned by {_ids(st)}, should be {lay.service}:{lay.group}",
                layout.SOCKET,
            )
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode != 0o660:
        out.append(
            Problem(
                "SOCKET_MODE", f"{layout.SOCKET} has mode {mode:04o}, should be 0660", layout.SOCKET
            )
        )
    return out
