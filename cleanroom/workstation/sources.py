"""The files an install copies in, checked for what they are before anything changes.

A wrong file in the right place is worse than none: a vendor *private* key
given as --workstation-key would put the key that certifies workstations on
one, and a certificate for another workstation's key would make the recorder
refuse every session. So each file must be the role it is given as (its role
line, ledger/keyrole.py), the certificate must be signed by the given vendor
key and name the given workstation key. The snapshot is checked by the recorder
at every start, and by `cleanroom snapshot verify` before install (deploy.md).
"""

from __future__ import annotations

from pathlib import Path

from ..ledger.keyrole import Role
from ..ledger.keys import (
    Certificate,
    KeyFileError,
    load_public_key,
    parse_private_key,
    raw_public,
    read_key_file,
)
from ..sanitize import clean


class SourceError(ValueError):
    """A file given to install is not what its option says."""


def check_sources(workstation_key: Path | None, cert: Path | None, trust: Path | None) -> None:
    """SourceError naming the option and what is wrong; None when each given file fits."""
    try:
        key_raw = _workstation_public(workstation_key) if workstation_key else None
        vendor_raw = raw_public(load_public_key(trust, role=Role.VENDOR_ROOT)) if trust else None
        certificate = Certificate.load(cert) if cert else None
    except (KeyFileError, OSError, ValueError) as exc:
        raise SourceError(clean(exc)) from exc
    if certificate is None:
        return
    if vendor_raw is not None and not certificate.signed_by(vendor_raw):
        raise SourceError(f"--cert {clean(cert)} is not signed by the --trust key")
    if key_raw is not None and certificate.key != key_raw:
        raise SourceError(f"--cert {clean(cert)} certifies another key than --workstation-key")


def _workstation_public(path: Path) -> bytes | None:
    """The raw public key of a workstation private key; None if it is encrypted
    (the recorder decrypts it with its passphrase_file)."""
    text = read_key_file(path)
    if text.kind != "private" or text.role != Role.WORKSTATION:
        raise SourceError(
            f"--workstation-key {clean(path)} is not a workstation private key "
            f"(it is a {text.role or 'role-less'} {text.kind} key)"
        )
    if b"ENCRYPTED" in text.pem.split(b"\n", 1)[0]:
        return None
    return raw_public(parse_private_key(path, text.pem, None))
