"""The `[recorder]` table of workstation.toml (docs/protocol.md, /docs/cli.md).
Unknown keys are refused by name, as the rest of the file's are."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..recorder.peer import Reviewers
from ..recorder.quota import DEFAULT_MAX_MB, DEFAULT_RESERVE_MB
from ..recorder.server import POLICIES, WAIT_LIMIT
from ..sanitize import clean

DEFAULT_SOCKET = Path("/run/cleanroom/recorder.sock")
KEYS = (
    "socket",
    "reviewers",
    "on_client_lost",
    "wait_minutes",
    "ledger_quota_mb",
    "ledger_reserve_mb",
    "passphrase_file",
    "mode",
    "reviewer_public_key",
)
MAX_WAIT_MINUTES = 24 * 60
MODES = ("review", "demo")  # the guard's policy: demo is `cleanroom demo`'s, never a room's


@dataclass(frozen=True)
class RecorderConfig:
    socket: Path
    reviewers: Reviewers
    on_client_lost: str
    passphrase_file: Path | None
    mode: str = "review"
    wait_minutes: float = WAIT_LIMIT / 60  # under `wait`: how long a session waits
    ledger_quota_mb: float = DEFAULT_MAX_MB  # a session's ledger at most (recorder/quota.py)
    ledger_reserve_mb: float = DEFAULT_RESERVE_MB  # free space the ledgers' filesystem keeps
    # The reviewer's public key: the terminal countersigns the seal with its own
    # private key (`review --reviewer-key`; ADR 0214), the recorder checks it.
    reviewer_public_key: Path | None = None


def recorder_config(table: dict[str, Any], where: str, demo: bool = False) -> RecorderConfig:
    """The [recorder] settings, checked. click.UsageError (exit 2) naming the key.
    `demo`: started by `cleanroom demo`, the only place `mode = "demo"` may be."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in KEYS:
            close = difflib.get_close_matches(name, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(KEYS)})"
            raise click.UsageError(f"{where}: unknown setting [recorder] {clean(key)!r}{hint}")
        values[name] = value
    for name in ("socket", "passphrase_file", "reviewer_public_key"):
        if name in values and (not isinstance(values[name], str) or not values[name]):
            raise click.UsageError(f"{where}: [recorder] {name} must be a non-empty string")
        if name in values and "\x00" in values[name]:
            raise click.UsageError(f"{where}: [recorder] {name} holds a NUL character")
        if name == "socket" and name in values and not Path(values[name]).is_absolute():
            raise click.UsageError(f"{where}: [recorder] {name} must be an absolute path")
    reviewers = values.get("reviewers")
    if not isinstance(reviewers, list) or not all(isinstance(r, str) for r in reviewers):
        raise click.UsageError(
            f'{where}: [recorder] reviewers must be a list like ["user:NAME", "group:NAME"]'
        )
    try:
        admitted = Reviewers.parse(reviewers)
    except ValueError as exc:
        raise click.UsageError(f"{where}: [recorder] reviewers: {clean(exc)}") from exc
    policy = values.get("on_client_lost", "seal")
    if policy not in POLICIES:
        raise click.UsageError(f"{where}: [recorder] on_client_lost must be seal or wait")
    wait = values.get("wait_minutes", WAIT_LIMIT / 60)
    if type(wait) not in (int, float) or not 0 < wait <= MAX_WAIT_MINUTES:
        raise click.UsageError(
            f"{where}: [recorder] wait_minutes must be a number of minutes above 0 and at "
            f"most {MAX_WAIT_MINUTES}"
        )
    sizes = {}
    for name, default in (("ledger_quota_mb", DEFAULT_MAX_MB),
                          ("ledger_reserve_mb", DEFAULT_RESERVE_MB)):  # fmt: skip
        size = values.get(name, default)
        if type(size) not in (int, float) or not 0 < size <= 1 << 30:
            raise click.UsageError(f"{where}: [recorder] {name} must be a number of MiB above 0")
        sizes[name] = float(size)
    mode = values.get("mode", "review")
    if mode not in MODES:
        raise click.UsageError(f"{where}: [recorder] mode must be review or demo")
    if mode == "demo" and not demo:  # the demo's guard only records: never in a room
        raise click.UsageError(
            f'{where}: [recorder] mode = "demo" is for `cleanroom demo` only; '
            "a room's recorder runs in review mode"
        )
    passphrase = values.get("passphrase_file")
    public = values.get("reviewer_public_key")
    theirs = Path(public) if public else None
    return RecorderConfig(Path(values.get("socket") or DEFAULT_SOCKET), admitted, policy,
                          Path(passphrase) if passphrase else None, mode, float(wait),
                          **sizes, reviewer_public_key=theirs)  # fmt: skip
