"""The workstation.toml given to `cleanroom review --config`.

Its keys are the command's option names, spelled with - or _, plus a `[guard]`
table (docs/guard.md). Anything else is refused by name, so that a misspelt
setting is never silently ignored; each value must have the option's type.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

import click

from ..ledger.regular_file import read_small
from ..sanitize import clean

TABLES = ("guard", "recorder")  # [recorder]: cli/recorder_config.py
MAX_CONFIG = 1024 * 1024


def load_config(path: Path | None, command: click.Command) -> dict[str, Any]:
    """The settings in `path` as {option name: value}, tables under their own
    names. click.UsageError (exit 2) naming the file and the key for TOML that
    does not parse, an unknown key, a key given twice, or a value of the wrong type."""
    if path is None:
        return {}
    try:  # a FIFO is refused, not waited on
        data = read_small(path, MAX_CONFIG)
    except OSError as exc:
        raise click.UsageError(f"{clean(path)}: {exc.strerror or exc}") from exc
    if len(data) > MAX_CONFIG:
        raise click.UsageError(f"{clean(path)}: over {MAX_CONFIG} bytes; not a workstation.toml")
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise click.UsageError(f"{clean(path)}: {exc}") from exc
    options = {
        p.name: p
        for p in command.params
        if isinstance(p, click.Option) and p.name and p.name != "config"
    }
    settings: dict[str, Any] = {}
    for key, value in doc.items():
        name = key.replace("-", "_")
        if name in settings:
            raise click.UsageError(f"{clean(path)}: {clean(key)!r} is given twice")
        if name in TABLES:
            if not isinstance(value, dict):
                raise click.UsageError(f"{clean(path)}: [{clean(key)}] must be a table")
        elif name in options:
            value = _value(options[name], value, f"{clean(path)}: {clean(key)!r}")
        else:
            raise click.UsageError(
                f"{clean(path)}: unknown setting {clean(key)!r}" + _hint(key, options)
            )
        settings[name] = value
    return settings


def _value(option: click.Option, value: Any, where: str) -> Any:
    """`value` checked against the option's type, as the command line would."""
    if option.is_flag:
        if not isinstance(value, bool):
            raise click.UsageError(f"{where} must be true or false")
        return value
    kind = option.type
    if isinstance(kind, click.types.IntParamType):
        if type(value) is not int:
            raise click.UsageError(f"{where} must be a whole number")
    elif not isinstance(value, str) or not value:
        raise click.UsageError(f"{where} must be a non-empty string")
    try:
        return kind.convert(value, option, None)
    except click.BadParameter as exc:
        raise click.UsageError(f"{where}: {clean(exc.message)}") from exc


def _hint(key: str, options: dict[str, click.Option]) -> str:
    names = [n.replace("_", "-") for n in options] + list(TABLES)
    close = difflib.get_close_matches(key.replace("_", "-"), names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(names))})"
