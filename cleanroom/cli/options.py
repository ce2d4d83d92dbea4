"""Options several commands share, defined once so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..ledger.keys import load_public_key


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
        help="Trusted vendor public key (repeatable).",
    )


def _load_trust(
    _ctx: click.Context, _param: click.Parameter, files: tuple[Path, ...]
) -> list[bytes]:
    return [load_public_key(p).public_bytes_raw() for p in files]
