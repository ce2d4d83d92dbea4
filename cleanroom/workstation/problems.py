"""What `cleanroom workstation check` can find: each problem has a stable code.

docs/deploy.md lists every code with what to do about it (tests/test_docs.py
holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass

CODES: dict[str, str] = {
    "SERVICE_MISSING": "the recorder's service account does not exist",
    "SERVICE_SHELL": "the service account has a login shell",
    "SERVICE_PRIVILEGED": "the service account is root or in a privileged group",
    "GROUP_MISSING": "the reviewer group does not exist",
    "NO_REVIEWERS": "the reviewer group has no members",
    "REVIEWER_SHELL": "a reviewer's login shell is not the kiosk login",
    "REVIEWER_PRIVILEGED": "a reviewer is root, in a privileged group, or in the service's group",
    "MISSING": "a file or directory of the layout is missing",
    "WRONG_TYPE": "a path of the layout is a symlink or the wrong kind of file",
    "WRONG_OWNER": "a path of the layout has the wrong owner or group",
    "WRONG_MODE": "a path of the layout has the wrong mode",
    "EXPOSED": "a file under /etc/cleanroom or /var/lib/cleanroom is open to others",
    "ANCESTOR_WRITABLE": "a directory above the layout can be changed by someone but root",
    "CONFIG": "workstation.toml names other files, another socket, reviewers outside the group, "
    "or lacks what the recorder needs (org)",
    "UNIT_CHANGED": "the recorder's unit differs from the one install writes",
    "KIOSK_CHANGED": "the kiosk login differs from the one install writes",
    "SOCKET_MISSING": "the recorder's socket is missing (is the recorder running?)",
    "SOCKET_OWNER": "the socket's owner or group is wrong",
    "SOCKET_MODE": "the socket's mode is wrong",
    "LEDGER_SHARES_HOME_FS": "the ledger directory is on the same filesystem as a reviewer's home",
    "NETWORK_UP": "the workstation is not air-gapped",
    "PROTECTED_HARDLINKS": "fs.protected_hardlinks is not 1",
    "PROTECTED_SYMLINKS": "fs.protected_symlinks is not 1",
    "CLOCK_NOT_MONOTONIC": "the monotonic clock went backwards",
    "CLOCK_UNSET": "the wall clock is before 2025 (a lost real-time clock?)",
    "CLOCK_BEHIND_LEDGER": "the wall clock is behind the newest ledger file",
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    path: str = ""

    def __post_init__(self) -> None:
        assert self.code in CODES, self.code
