"""Account names we are willing to pass to useradd, and to write into files.

The portable POSIX subset (lower case, digits, `_` and `-`, not starting with `-`
or a digit, at most 32 characters). Anything else, such as shell metacharacters,
`/`, `..` or a newline, is refused before any change is made: the name ends up in
/etc/passwd, in a systemd unit and in workstation.toml.
"""

from __future__ import annotations

import re

from ..sanitize import clean

_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


class BadName(ValueError):
    """An account or group name we refuse."""


def account_name(name: str, what: str = "account") -> str:
    """`name` if it is a safe account name; BadName saying why not."""
    if not _NAME.fullmatch(name):
        raise BadName(
            f"{what} name {clean(name)!r} is refused: use 1 to 32 of a-z, 0-9, '_' "
            "and '-', starting with a letter or '_'"
        )
    return name
