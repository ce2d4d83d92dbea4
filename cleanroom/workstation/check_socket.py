"""The recorder's socket: present, owned by the service and the reviewers' group,
mode 0660, as the recorder makes it (docs/deploy.md)."""

from __future__ import annotations

import stat

from . import layout, placing
from .accounts import gid_of, owner_of, uid_of
from .layout import Layout
from .problems import Problem


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
                f"{layout.SOCKET} is owned by {owner_of(st)}, should be {lay.service}:{lay.group}",
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
