"""The files the install writes, from the templates shipped in the package.

Placeholders are `@NAME@`. Every value must be a plain absolute path or a checked
account name: no whitespace, quotes, `%` (a systemd specifier), `$` or `\\`, so a
value can never become a second option in a unit, a word in the kiosk login's
command, or a new key in workstation.toml.
"""

from __future__ import annotations

import re
from importlib import resources

from ..sanitize import clean

_SAFE = re.compile(r"[A-Za-z0-9_./+-]+")
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
NAMES = ("cleanroom-recorder.service", "kiosk-login", "workstation.toml")


class TemplateError(ValueError):
    """A value that cannot go into a template safely."""


def render(name: str, values: dict[str, str]) -> bytes:
    """Template `name` with every placeholder replaced; TemplateError for an unsafe
    value or a placeholder without one."""
    text = (resources.files(__package__) / "templates" / name).read_text(encoding="utf-8")
    for key, value in values.items():
        if not _SAFE.fullmatch(value):
            raise TemplateError(
                f"{key.lower()} {clean(value)!r} has characters a {name} cannot hold"
            )

    def fill(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise TemplateError(f"{name}: no value for @{m.group(1)}@")
        return values[m.group(1)]

    return _PLACEHOLDER.sub(fill, text).encode("utf-8")
