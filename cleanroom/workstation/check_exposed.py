"""Nothing below /etc/cleanroom and /var/lib/cleanroom may be open to anyone but
root and the service: other bits, group bits for another group, another owner,
or a symlink (which could point the service at a file someone else controls).
The layout's own paths are checked exactly by check_files.py and skipped here."""

from __future__ import annotations

import os
import stat

from . import layout
from .accounts import gid_of, owner_of, uid_of
from .layout import Layout
from .problems import Problem

MAX_ENTRIES = 100_000  # the walk stops here, saying so


def check_exposed(lay: Layout, known: set[str]) -> list[Problem]:
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
                f"{final} is open to group {owner_of(st).split(':')[1]} (mode {mode:04o})",
                final,
            )
        ]
    if st.st_uid not in (0, svc_uid):
        return [Problem("EXPOSED", f"{final} is owned by {owner_of(st).split(':')[0]}", final)]
    return []
