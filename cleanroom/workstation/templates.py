"""The files the install writes, from the templates shipped in the package.

Placeholders are `@NAME@`. Every value must be a plain absolute path or a checked
account name: no whitespace, quotes, `%` (a systemd specifier), `$` or `\\`, so a
value can never become a second option in a unit, a word in the kiosk login's
command, or a new key in workstation.toml. The one free-text value, the
organisation's name, goes only into workstation.toml and only as a TOML string
(`toml_string`): quoted and escaped, so it cannot end its line either.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from ..sanitize import clean

_SAFE = re.compile(r"[A-Za-z0-9_./+-]+")
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
NAMES = ("cleanroom-recorder.service", "kiosk-login", "workstation.toml")


MAX_ORG = 128  # characters


class TemplateError(ValueError):
    """A value that cannot go into a template safely."""


def toml_string(what: str, value: str) -> str:
    """`value` as a TOML basic string: printable (no control, separator or
    surrogate), 1 to MAX_ORG characters, its quotes and backslashes escaped (the
    two JSON escapes it can need are TOML's too); other characters as UTF-8."""
    if not value.strip() or len(value) > MAX_ORG or not value.isprintable():
        raise TemplateError(f"{what} {clean(value)!r} must be 1 to {MAX_ORG} printable characters")
    return json.dumps(value, ensure_ascii=False)


def render(name: str, values: dict[str, str], strings: dict[str, str] | None = None) -> bytes:
    """Template `name` with every placeholder replaced; TemplateError for an unsafe
    value or a placeholder without one. `strings`: placeholders filled with a TOML
    string (`toml_string`), for workstation.toml only."""
    quoted = {k: toml_string(f"--{k.lower()}", v) for k, v in (strings or {}).items()}
    text = (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")
    for key, value in values.items():
        if not _SAFE.fullmatch(value):
            raise TemplateError(
                f"{key.lower()} {clean(value)!r} has characters a {name} cannot hold"
            )

    def fill(m: re.Match[str]) -> str:
        if m.group(1) in quoted:
            return quoted[m.group(1)]
        if m.group(1) not in values:
            raise TemplateError(f"{name}: no value for @{m.group(1)}@")
        return values[m.group(1)]

    return _PLACEHOLDER.sub(fill, text).encode("utf-8")
