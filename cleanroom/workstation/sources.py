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
    MAX_KEY_FILE,
    Certificate,
    KeyFileError,
    load_public_key,
    parse_private_key,
    raw_public,
    read_key_file,
)
from ..ledger.regular_file import read_small
from ..sanitize import clean


class SourceError(ValueError):
    """A file given to install is not what its option says."""


def check_sources(workstation_key: Path | None, cert: Path | None, trust: Path | None,
                  passphrase_file: Path | None = None) -> None:  # fmt: skip
    """SourceError naming the option and what is wrong; None when each given file fits.
    A passphrase-protected workstation key needs `passphrase_file`, which must open
    it; an unprotected key must come without one."""
    if passphrase_file is not None and workstation_key is None:
        raise SourceError("--passphrase-file is the passphrase of --workstation-key: give both")
    try:
        key_raw = _workstation_public(workstation_key, passphrase_file) if workstation_key else None
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


def first_line(path: Path) -> bytes | None:
    """A passphrase file's passphrase: its first line, as the recorder reads it
    (cli/keys.py); None for an empty one. OSError or UnicodeError."""
    lines = read_small(path, MAX_KEY_FILE).decode("utf-8").splitlines()
    return lines[0].encode() if lines and lines[0] else None


def _workstation_public(path: Path, passphrase_file: Path | None) -> bytes:
    """The raw public key of a workstation private key, opened with the passphrase
    in `passphrase_file` if it is protected (as the recorder will open it)."""
    text = read_key_file(path)
    if text.kind != "private" or text.role != Role.WORKSTATION:
        raise SourceError(
            f"--workstation-key {clean(path)} is not a workstation private key "
            f"(it is a {text.role or 'role-less'} {text.kind} key)"
        )
    protected = b"ENCRYPTED" in text.pem.split(b"\n", 1)[0]
    if protected and passphrase_file is None:
        raise SourceError(
            f"--workstation-key {clean(path)} is passphrase-protected: give its passphrase "
            "as --passphrase-file (the recorder runs unattended and reads it from there)"
        )
    if not protected and passphrase_file is not None:
        raise SourceError(
            f"--workstation-key {clean(path)} is not passphrase-protected: "
            "--passphrase-file would place a secret nothing uses"
        )
    passphrase = None
    if passphrase_file is not None:
        try:
            passphrase = first_line(passphrase_file)
        except (OSError, UnicodeError) as exc:
            raise SourceError(f"--passphrase-file {clean(passphrase_file)}: {exc}") from exc
    try:
        return raw_public(parse_private_key(path, text.pem, passphrase))
    except KeyFileError as exc:
        raise SourceError(
            f"--passphrase-file {clean(passphrase_file)} does not open --workstation-key "
            f"{clean(path)}: {exc}"
        ) from exc
