"""Ed25519 key files, key ids and workstation certificates.

Private keys are PKCS#8 PEM (optionally passphrase-encrypted), written 0600 and
refused when group or others can read them. Public keys are SubjectPublicKeyInfo
PEM. A key id is a fingerprint of the raw 32-byte public key.

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


def write_private_key(path: Path, key: Ed25519PrivateKey, passphrase: bytes | None = None) -> None:
    """Write `key` to a new file with mode 0600. Never overwrites an existing file."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    _write_new(path, pem, 0o600)


def write_public_key(path: Path, public: Ed25519PublicKey) -> None:
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(path, pem, 0o644)


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


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key, refusing files readable by group or others."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc}") from exc
    if mode & 0o077:
        raise KeyFileError(
            f"{path}: private key is accessible to group or others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )
    data = _read_small(path)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:
        raise KeyFileError(
            f"{path}: {exc} (a passphrase is needed, or was given needlessly)"
        ) from exc
    except ValueError as exc:
        raise KeyFileError(f"{path}: not a readable private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read_small(path)
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise KeyFileError(f"{path}: not a readable public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path}: not an Ed25519 public key")
    return key


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
