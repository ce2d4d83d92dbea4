"""The role a key file is for: vendor root, workstation or reviewer (ADR 0008).

A key file begins with one line naming its role, then the PEM block:

    Cleanroom-Key-Role: vendor-root
    -----BEGIN PRIVATE KEY-----

RFC 7468 lets text precede a PEM block, so OpenSSL and `cryptography` still read
the key. A file that starts directly with `-----BEGIN` was written before roles
existed: it has no role (`None`). The line guards against mistakes (a
workstation key given where the vendor root key is needed); it does not protect
against someone who can write the key file, who could replace the key itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ROLE_PREFIX = b"Cleanroom-Key-Role: "
_BEGIN = b"-----BEGIN "
_LABELS = {
    b"PRIVATE KEY": "private",
    b"ENCRYPTED PRIVATE KEY": "private",
    b"PUBLIC KEY": "public",
}


class Role(enum.Enum):
    VENDOR_ROOT = "vendor-root"
    WORKSTATION = "workstation"
    REVIEWER = "reviewer"

    def __str__(self) -> str:
        return self.value


class RoleError(ValueError):
    """The file is not a key file as ADR 0008 describes it. The message says why."""


@dataclass(frozen=True)
class KeyText:
    """A key file split into its role line and its PEM block."""

    role: Role | None  # None: written before key roles
    kind: str  # "private" or "public"
    pem: bytes


def split_key_file(data: bytes) -> KeyText:
    """Split a key file's bytes. Raises RoleError for an unknown role, anything but
    one role line before the PEM block, or a PEM label that is not a key's."""
    role = None
    rest = data
    if data.startswith(ROLE_PREFIX):
        line, newline, rest = data[len(ROLE_PREFIX) :].partition(b"\n")
        name = line.removesuffix(b"\r").decode("ascii", "replace")
        if not newline:
            raise RoleError("the role line is not followed by a key")
        try:
            role = Role(name)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise RoleError(f"unknown key role {name!r} (known roles: {roles})") from None
    if not rest.startswith(_BEGIN):
        raise RoleError("not a readable key file (no PEM block where one should start)")
    label = rest[len(_BEGIN) :].partition(b"-----")[0]
    if label not in _LABELS:
        raise RoleError("not a readable key file (its PEM block is not a private or public key)")
    return KeyText(role, _LABELS[label], rest)


def with_role(role: Role, pem: bytes) -> bytes:
    """The bytes of a key file for `pem` that says it is `role`'s key."""
    return ROLE_PREFIX + role.value.encode() + b"\n" + pem


def describe(role: Role | None, kind: str) -> str:
    """'vendor-root private key', or 'private key with no role'."""
    return f"{role} {kind} key" if role else f"{kind} key with no role"
