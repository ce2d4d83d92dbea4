"""`cleanroom keys`: create, certify and inspect the keys a review needs."""

from __future__ import annotations

import time
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..ledger.keys import (
    Certificate,
    KeyFileError,
    key_id,
    load_private_key,
    load_public_key,
    raw_public,
    save_certificate,
    write_private_key,
    write_public_key,
)
from ..sanitize import clean

DIR = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("keys"),
    show_default=True,
    help="Directory to write the key files into.",
)
PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the passphrase from the first line of this file.",
)


@click.group()
def keys() -> None:
    """Create, certify and inspect keys.

    \b
    The vendor root key stays on vendor staff's machine. It certifies each
    workstation key; the workstation key starts and resumes sessions. A
    reviewer key (optional) countersigns a session's seal.
    """


def _passphrase(path: Path | None, prompt: bool, confirm: bool = True) -> bytes | None:
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        return lines[0].encode() if lines and lines[0] else None
    if prompt:
        text = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
        return text.encode() or None
    return None


def load_signing_key(path: Path, passphrase_file: Path | None) -> Ed25519PrivateKey:
    """Load a private key, asking for its passphrase if it is encrypted and no
    --passphrase-file was given."""
    try:
        return load_private_key(path, _passphrase(passphrase_file, False))
    except KeyFileError as exc:
        if "passphrase" not in str(exc) or passphrase_file is not None:
            raise
        return load_private_key(path, _passphrase(None, True, confirm=False))


def _new_pair(directory: Path, name: str, passphrase: bytes | None) -> Ed25519PrivateKey:
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private, public = directory / f"{name}.key", directory / f"{name}.pub"
    for p in (private, public):
        if p.exists():
            raise KeyFileError(f"{p}: already exists; refusing to overwrite")
    write_private_key(private, key, passphrase)
    write_public_key(public, key.public_key())
    click.echo(f"wrote {clean(private)} (private, 0600) and {clean(public)}")
    click.echo(f"key id {key_id(key.public_key())}")
    return key


@keys.command("vendor-init")
@DIR
@click.option("--name", default="vendor", show_default=True, help="Base name of the key files.")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase to encrypt the key.")
@PASSPHRASE_FILE
def vendor_init(directory: Path, name: str, encrypt: bool, passphrase_file: Path | None) -> None:
    """Create the vendor root key pair (keep the private key off the workstation)."""
    _new_pair(directory, name, _passphrase(passphrase_file, encrypt))


@keys.command("workstation-init")
@DIR
@click.option("--name", default="workstation", show_default=True, help="Base name of the files.")
def workstation_init(directory: Path, name: str) -> None:
    """Create the workstation key pair (unencrypted: the workstation runs unattended)."""
    _new_pair(directory, name, None)


@keys.command("reviewer-init")
@DIR
@click.option("--name", default="reviewer", show_default=True, help="Base name of the key files.")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase to encrypt the key.")
@PASSPHRASE_FILE
def reviewer_init(directory: Path, name: str, encrypt: bool, passphrase_file: Path | None) -> None:
    """Create a reviewer key pair, used to countersign a session's seal."""
    _new_pair(directory, name, _passphrase(passphrase_file, encrypt))


@keys.command("certify")
@click.option(
    "--vendor-key",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The vendor root private key.",
)
@PASSPHRASE_FILE
@click.option(
    "--workstation-pub",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The workstation's public key.",
)
@click.option("--id", "workstation", required=True, help="The workstation's id, e.g. ws-01.")
@click.option(
    "--days",
    default=365,
    show_default=True,
    type=click.IntRange(1, 3650),
    help="How long the certificate is valid.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the certificate.",
)
def certify(
    vendor_key: Path,
    passphrase_file: Path | None,
    workstation_pub: Path,
    workstation: str,
    days: int,
    output: Path,
) -> None:
    """Sign a workstation certificate with the vendor root key."""
    vendor = load_signing_key(vendor_key, passphrase_file)
    now = int(time.time())
    cert = Certificate.issue(
        vendor, workstation, load_public_key(workstation_pub), now - 300, now + days * 86400
    )
    save_certificate(output, cert)
    click.echo(f"wrote {clean(output)}: workstation {clean(workstation)}, key {key_id(cert.key)}")
    click.echo(f"issued by {cert.issuer}, valid for {days} days")


@keys.command("show")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option(
    "--trust",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Vendor public key to check certificates against.",
)
def show(files: tuple[Path, ...], trust: tuple[Path, ...]) -> None:
    """Describe key and certificate files: kind, key id, and for certificates the
    workstation, issuer, validity and (with --trust) whether the signature holds."""
    trusted = [raw_public_pub(p) for p in trust]
    for path in files:
        click.echo(f"{clean(path)}: {_describe(path, trusted)}")


def raw_public_pub(path: Path) -> bytes:
    return load_public_key(path).public_bytes_raw()


def _describe(path: Path, trusted: list[bytes]) -> str:
    head = path.read_bytes()[:64]
    if b"PRIVATE KEY" in head:
        try:
            key = load_private_key(path)
        except KeyFileError as exc:
            return f"private key, unreadable here: {clean(exc)}"
        return f"Ed25519 private key, key id {key_id(raw_public(key))}"
    if b"PUBLIC KEY" in head:
        return f"Ed25519 public key, key id {key_id(load_public_key(path))}"
    cert = Certificate.load(path)
    valid = f"{_day(cert.not_before)} to {_day(cert.not_after)}"
    text = (
        f"workstation certificate for {clean(cert.workstation)}, key {key_id(cert.key)}, "
        f"issuer {clean(cert.issuer)}, valid {valid}"
    )
    if trusted:
        ok = any(cert.signed_by(k) for k in trusted)
        text += ", signature " + ("valid for a trusted key" if ok else "NOT from a trusted key")
    return text


def _day(unix: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(unix))
