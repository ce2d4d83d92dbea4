"""Does workstation.toml point the recorder at the files check checks?

check holds the layout's fixed paths to their owners and modes; the recorder
uses whatever workstation.toml names. A config that names another snapshot,
key or ledger directory would make a clean check say nothing about the files
in use, and a `reviewers` entry for an account outside the group would let in
someone without the kiosk login. A config without what install writes and the
recorder needs (`org`), or with a value the recorder refuses (`on_client_lost`,
`wait_minutes`, `ledger_quota_mb`, `ledger_reserve_mb`, `mode`), leaves the
room without a recorder. So each is a CONFIG problem.
"""

from __future__ import annotations

import tomllib

from . import accounts, layout, placing
from .layout import Layout
from .problems import Problem

MAX_CONFIG = 1024 * 1024
# What the recorder takes for on_client_lost (recorder/server.py POLICIES; the
# workstation layer may not import the recorder's, a test holds them equal).
POLICIES = ("seal", "wait")
PATHS = {
    "snapshot": layout.SNAPSHOT,
    "ledger-dir": layout.LEDGERS,
    "workstation-key": layout.WORKSTATION_KEY,
    "cert": layout.CERT,
    "trust": layout.TRUST,
}


def check_config(lay: Layout) -> list[Problem]:
    try:
        st = placing.lstat(lay.root, layout.CONFIG)
    except placing.PlacingError:
        return []  # reported as WRONG_TYPE
    if st is None:
        return []  # reported as MISSING
    try:
        data = lay.at(layout.CONFIG).read_bytes()[: MAX_CONFIG + 1]
        if len(data) > MAX_CONFIG:
            raise ValueError(f"over {MAX_CONFIG} bytes")
        doc = tomllib.loads(data.decode("utf-8"))
    except (OSError, ValueError) as exc:  # TOMLDecodeError and UnicodeError are ValueErrors
        return [_problem(f"{layout.CONFIG} cannot be read: {exc}")]
    out = []
    for key, final in PATHS.items():
        value = doc.get(key, doc.get(key.replace("-", "_")))
        if value != final:
            out.append(
                _problem(f"{layout.CONFIG} gives {key} = {value!r}; the layout's is {final!r}")
            )
    out += _org(doc.get("org"))
    if "reviewer" in doc:  # the recorder names each session's reviewer by the account
        out.append(_problem(f"{layout.CONFIG} gives reviewer = {doc['reviewer']!r}: the "
                            "recorder refuses to start with it (remove it, ADR 0206)"))  # fmt: skip
    recorder = doc.get("recorder", {})
    if not isinstance(recorder, dict):
        return out + [_problem(f"{layout.CONFIG}: [recorder] is not a table")]
    socket = recorder.get("socket", layout.SOCKET)
    if socket != layout.SOCKET:
        out.append(
            _problem(
                f"{layout.CONFIG} gives socket = {socket!r}; the layout's is {layout.SOCKET!r}"
            )
        )
    out += _reviewers(lay, recorder.get("reviewers"))
    out += _passphrase(lay, recorder.get("passphrase_file"))
    out += _recorder_choices(recorder)
    return out


def _org(org: object) -> list[Problem]:
    """install writes `org` (the reviewers' organisation, recorded in every
    `session_start`); without it the recorder refuses to start (missing --org)."""
    if org is None:
        return [_problem(f"{layout.CONFIG} gives no org (the reviewers' organisation): the "
                         "recorder refuses to start without it (install --org NAME)")]  # fmt: skip
    if not isinstance(org, str) or not org.strip():
        return [_problem(f"{layout.CONFIG} gives org = {org!r}: it must name the reviewers' "
                         "organisation (install --org NAME)")]  # fmt: skip
    return []


def _recorder_choices(recorder: dict[str, object]) -> list[Problem]:
    """Values the recorder refuses to start with (cli/recorder_config.py)."""
    out = []
    policy = recorder.get("on_client_lost", "seal")
    if policy not in POLICIES:
        out.append(_problem(f"{layout.CONFIG} gives on_client_lost = {policy!r}: the recorder "
                            f"takes only {' or '.join(POLICIES)}"))  # fmt: skip
    wait = recorder.get("wait_minutes", 30)
    if type(wait) not in (int, float) or not 0 < wait <= 24 * 60:  # type: ignore[operator]
        out.append(_problem(f"{layout.CONFIG} gives wait_minutes = {wait!r}: the recorder "
                            "takes a number of minutes above 0 and at most 1440"))  # fmt: skip
    for name in ("ledger_quota_mb", "ledger_reserve_mb"):
        size = recorder.get(name, 1)
        if type(size) not in (int, float) or not 0 < size <= 1 << 30:  # type: ignore[operator]
            out.append(_problem(f"{layout.CONFIG} gives {name} = {size!r}: the recorder "
                                "takes a number of MiB above 0"))  # fmt: skip
    mode = recorder.get("mode", "review")
    if mode != "review":
        out.append(_problem(f"{layout.CONFIG} gives [recorder] mode = {mode!r}: a room's "
                            "recorder runs in review mode (demo: `cleanroom demo`)"))  # fmt: skip
    return out


def _passphrase(lay: Layout, given: object) -> list[Problem]:
    """A passphrase-protected key needs the layout's passphrase file named: the
    recorder, unattended, has no one to ask."""
    if given is not None and given != layout.PASSPHRASE:
        return [_problem(f"{layout.CONFIG} gives passphrase_file = {given!r}; "
                         f"the layout's is {layout.PASSPHRASE!r}")]  # fmt: skip
    try:
        key = placing.read_file(lay.root, layout.WORKSTATION_KEY, 4096) or b""
    except placing.PlacingError:
        return []  # reported by the file checks
    if given is None and b"ENCRYPTED PRIVATE KEY" in key:
        return [_problem(f"the workstation key is passphrase-protected and {layout.CONFIG} "
                         "names no [recorder] passphrase_file: the recorder cannot start "
                         "(run install with --passphrase-file)")]  # fmt: skip
    return []


def _reviewers(lay: Layout, entries: object) -> list[Problem]:
    if not isinstance(entries, list) or not entries:
        return [_problem(f"{layout.CONFIG}: [recorder] reviewers is missing or empty")]
    members = set(accounts.members(lay.group))
    out = []
    for entry in entries:
        kind, _, name = str(entry).partition(":")
        if kind == "group" and name == lay.group:
            continue
        if kind == "user" and name in members:
            continue
        out.append(
            _problem(
                f"{layout.CONFIG}: reviewers entry {entry!r} lets in accounts outside "
                f"{lay.group}, which need not have the kiosk login"
            )
        )
    return out


def _problem(message: str) -> Problem:
    return Problem("CONFIG", message, layout.CONFIG)
