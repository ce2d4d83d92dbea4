"""Options several commands share, defined once so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..ledger.keys import KeyFileError, Role, load_public_key


def trust_option(required: bool = True) -> Callable[[Any], Any]:
    """`--trust FILE` (repeatable): trusted vendor public keys. The command gets them
    as `trust`, a list of raw 32-byte keys; a file that is not one is a usage error."""
    return click.option(
        "--trust",
        "trust",
        multiple=True,
        required=required,
        type=click.Path(dir_okay=False, path_type=Path),
        callback=_load_trust,
        help="Trusted vendor root public key (repeatable).",
    )


def _load_trust(
    _ctx: click.Context, _param: click.Parameter, files: tuple[Path, ...]
) -> list[bytes]:
    return [trusted_key(p) for p in files]


def trusted_key(path: Path) -> bytes:
    """The raw key of a vendor root public key file given as `--trust`. A key file
    of another role, or a private key, is refused (KeyFileError naming --trust). A
    public key file written before key roles is accepted: the verifier trusts it
    only through the certificate and snapshot signatures it checks (ADR 0008)."""
    try:
        return load_public_key(path, role=Role.VENDOR_ROOT, unmarked_ok=True).public_bytes_raw()
    except KeyFileError as exc:
        raise KeyFileError(f"--trust {exc}") from exc
