"""Ed25519 key files, key ids and workstation certificates.

Private keys are PKCS#8 PEM (optionally passphrase-encrypted), written 0600 and
refused when group or others can read them. Public keys are SubjectPublicKeyInfo
PEM. Each key file first names its role (`keyrole.py`, ADR 0008), and every loader
is told the role it needs. A key id is a fingerprint of the raw 32-byte public key.

Keys are made and used for signing with `cryptography`; every signature is checked
by `ed25519.verify_signature` (libsodium, ADR 0006).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .ed25519 import verify_signature
from .encoding import CERT_DOMAIN, KEYID_DOMAIN, EncodingError, canonical_json, parse_canonical
from .keyrole import KeyText, Role, RoleError, describe, split_key_file, with_role

CERT_FORMAT = "cleanroom.cert.v1"
MAX_KEY_FILE = 64 * 1024
_HEX_KEY = re.compile(r"[0-9a-f]{64}")


class KeyFileError(Exception):
    """A key or certificate file that cannot be used. The message says why."""


def key_id(public: Ed25519PublicKey | bytes) -> str:
    raw = public if isinstance(public, bytes) else raw_public(public)
    return hashlib.sha256(KEYID_DOMAIN + raw).hexdigest()[:32]


def raw_public(public: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    if isinstance(public, Ed25519PrivateKey):
        public = public.public_key()
    return public.public_bytes_raw()


def _read_small(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise KeyFileError(f"{path}: not a regular file")
            data = f.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_KEY_FILE:
        raise KeyFileError(f"{path}: too large to be a key file")
    return data


def write_private_key(
    path: Path, key: Ed25519PrivateKey, passphrase: bytes | None = None, *, role: Role
) -> None:
    """Write `key` as `role`'s key to a new file with mode 0600. Never overwrites."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    _write_new(path, with_role(role, pem), 0o600)


def write_public_key(path: Path, public: Ed25519PublicKey, *, role: Role) -> None:
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(path, with_role(role, pem), 0o644)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except FileExistsError as exc:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_key_file(path: Path) -> KeyText:
    """The role, kind and PEM block of a key file; KeyFileError if it is not one."""
    try:
        return split_key_file(_read_small(path))
    except RoleError as exc:
        raise KeyFileError(f"{path}: {exc}") from exc


def _check_role(path: Path, text: KeyText, role: Role, kind: str) -> None:
    """Refuse a key file of the wrong kind or role, saying what it is instead."""
    if text.kind != kind:
        other = "such as " + path.with_suffix(".key" if kind == "private" else ".pub").name
        raise KeyFileError(
            f"{path}: this is a {describe(text.role, text.kind)}; "
            f"a {role} {kind} key is needed here ({other})"
        )
    if text.role is None:
        raise KeyFileError(
            f"{path}: this {kind} key has no role (it was written before key files "
            f"named their role); if it is the {role} key, run: "
            f"cleanroom keys set-role {role} {path}"
        )
    if text.role != role:
        raise KeyFileError(
            f"{path}: this is a {describe(text.role, kind)}; a {role} {kind} key is needed here"
        )


def check_private_mode(path: Path) -> None:
    """Refuse a private key file that group or others may access."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc}") from exc
    if mode & 0o077:
        raise KeyFileError(
            f"{path}: private key is accessible to group or others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )


def parse_private_key(path: Path, pem: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError as exc:
        raise KeyFileError(
            f"{path}: {exc} (a passphrase is needed, or was given needlessly)"
        ) from exc
    except ValueError as exc:
        raise KeyFileError(f"{path}: not a readable private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")
    return key


def parse_public_key(path: Path, pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise KeyFileError(f"{path}: not a readable public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path}: not an Ed25519 public key")
    return key


def load_private_key(
    path: Path, passphrase: bytes | None = None, *, role: Role
) -> Ed25519PrivateKey:
    """Load `role`'s Ed25519 private key. KeyFileError, before any passphrase is
    used, for a public key, a key with no role or another role's key; then for a
    file readable by group or others; then for a wrong or missing passphrase."""
    text = read_key_file(path)
    _check_role(path, text, role, "private")
    check_private_mode(path)
    return parse_private_key(path, text.pem, passphrase)


def load_public_key(path: Path, *, role: Role, unmarked_ok: bool = False) -> Ed25519PublicKey:
    """Load `role`'s Ed25519 public key. KeyFileError for a private key or another
    role's key, and for a key with no role unless `unmarked_ok` (files written
    before key roles, accepted where a wrong key cannot do harm)."""
    text = read_key_file(path)
    if not (unmarked_ok and text.role is None and text.kind == "public"):
        _check_role(path, text, role, "public")
    return parse_public_key(path, text.pem)


def set_role(path: Path, role: Role) -> bool:
    """Give a key file written before key roles its role, in place and atomically,
    keeping its mode. Returns False if it already is `role`'s key. KeyFileError if
    it is another role's key (a role is never changed) or not an Ed25519 key."""
    text = read_key_file(path)
    if text.role == role:
        return False
    if text.role is not None:
        raise KeyFileError(
            f"{path}: already a {describe(text.role, text.kind)}; a role is never changed"
        )
    if text.kind == "public":
        parse_public_key(path, text.pem)
    else:
        check_private_mode(path)
        if b"ENCRYPTED" not in text.pem.split(b"\n", 1)[0]:
            parse_private_key(path, text.pem, None)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    tmp = path.with_name(path.name + ".role-tmp")
    _write_new(tmp, with_role(role, text.pem), mode)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise KeyFileError(f"{path}: {exc.strerror or exc}") from exc
    return True


@dataclass(frozen=True)
class Certificate:
    """A workstation certificate: the vendor vouches that `key` belongs to `workstation`."""

    body: bytes  # the exact signed canonical JSON
    sig: bytes
    workstation: str
    key: bytes
    issuer: str
    not_before: int
    not_after: int

    @classmethod
    def issue(
        cls,
        vendor: Ed25519PrivateKey,
        workstation: str,
        key: Ed25519PublicKey,
        not_before: int,
        not_after: int,
    ) -> Certificate:
        if not workstation or not workstation.isprintable():
            raise KeyFileError("workstation id must be non-empty printable text")
        if not_after <= not_before:
            raise KeyFileError("certificate validity must end after it starts")
        body = canonical_json(
            {
                "format": CERT_FORMAT,
                "workstation": workstation,
                "key": raw_public(key).hex(),
                "issuer": key_id(vendor.public_key()),
                "not_before": not_before,
                "not_after": not_after,
            }
        )
        return cls.parse(body, vendor.sign(CERT_DOMAIN + body))

    @classmethod
    def parse(cls, body: bytes, sig: bytes) -> Certificate:
        """Parse certificate fields (no signature check). Raises EncodingError unless
        `body` is canonical JSON of exactly the six fields of spec §1, with `key` in
        lowercase hex and integer (not boolean) validity times."""
        fields = parse_canonical(body)
        expected = {"format", "workstation", "key", "issuer", "not_before", "not_after"}
        if not isinstance(fields, dict) or set(fields) != expected:
            raise EncodingError("certificate fields differ from cleanroom.cert.v1")
        try:
            if fields["format"] != CERT_FORMAT:
                raise EncodingError(f"unknown certificate format {fields['format']!r}")
            if not isinstance(fields["key"], str) or not _HEX_KEY.fullmatch(fields["key"]):
                raise EncodingError("the certificate key is not 64 lowercase hex characters")
            key = bytes.fromhex(fields["key"])
            values = (
                fields["workstation"],
                fields["issuer"],
                fields["not_before"],
                fields["not_after"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EncodingError(f"malformed certificate: {exc!r}") from exc
        ws, issuer, nb, na = values
        types_ok = isinstance(ws, str) and isinstance(issuer, str)
        if not types_ok or type(nb) is not int or type(na) is not int or len(key) != 32:
            raise EncodingError("malformed certificate fields")
        if len(sig) != 64:
            raise EncodingError("certificate signature is not 64 bytes")
        return cls(body, sig, ws, key, issuer, nb, na)

    def signed_by(self, vendor_raw: bytes) -> bool:
        return key_id(vendor_raw) == self.issuer and verify_signature(
            vendor_raw, self.sig, CERT_DOMAIN + self.body
        )

    def to_json(self) -> str:
        return json.dumps({"cert": self.body.decode("utf-8"), "sig": self.sig.hex()}, indent=1)

    @classmethod
    def load(cls, path: Path) -> Certificate:
        data = _read_small(path)
        try:
            outer = json.loads(data)
            return cls.parse(outer["cert"].encode("utf-8"), bytes.fromhex(outer["sig"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyFileError(f"{path}: not a workstation certificate ({exc})") from exc


def save_certificate(path: Path, cert: Certificate) -> None:
    _write_new(path, cert.to_json().encode() + b"\n", 0o644)
