"""`cleanroom keys`: create, certify and inspect the keys a review needs."""

from __future__ import annotations

import time
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..ledger.keyrole import BOM, ROLE_PREFIX, describe
from ..ledger.keys import (
    MAX_KEY_FILE,
    Certificate,
    KeyFileError,
    Role,
    check_private_mode,
    key_id,
    load_private_key,
    load_public_key,
    parse_private_key,
    parse_public_key,
    raw_public,
    read_key_file,
    save_certificate,
    set_role,
    write_private_key,
    write_public_key,
)
from ..ledger.regular_file import read_small
from ..sanitize import clean
from . import UsageProblem
from .options import trusted_key

MIN_PASSPHRASE = 12  # characters; ADR 0008
MIN_DISTINCT = 5  # different characters, whitespace aside: no "            " or "aaaaaaaaaaaa"

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
NEW_PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Encrypt the key with the first line of this file (12 characters or more).",
)


@click.group()
def keys() -> None:
    """Create, certify and inspect keys.

    \b
    The vendor root key stays on vendor staff's machine. It certifies each
    workstation key; the workstation key starts and resumes sessions. A
    reviewer key (optional) countersigns a session's seal. Every key file
    names its role on its first line, and each option takes only its role.
    """


def _passphrase(path: Path | None, prompt: bool, confirm: bool = True) -> bytes | None:
    if path is not None:
        try:  # a FIFO is refused, not waited on
            lines = read_small(path, MAX_KEY_FILE).decode("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise click.UsageError(f"{clean(path)}: {why}") from exc
        return lines[0].encode() if lines and lines[0] else None
    if prompt:
        text = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
        return text.encode() or None
    return None


def _new_passphrase(path: Path | None, prompt: bool) -> bytes | None:
    """The passphrase for a new key: None (unencrypted) unless asked for, and then
    at least MIN_PASSPHRASE characters, or exit 2 before anything is written."""
    if path is None and not prompt:
        return None
    passphrase = _passphrase(path, prompt)
    source = f"the first line of {clean(path)}" if path is not None else "the passphrase"
    if passphrase is None or len(passphrase.decode()) < MIN_PASSPHRASE:
        raise UsageProblem(
            f"{source} is shorter than {MIN_PASSPHRASE} characters; "
            "a key file's passphrase must be at least that long"
        )
    if len(set("".join(passphrase.decode().split()))) < MIN_DISTINCT:
        raise UsageProblem(
            f"{source} has fewer than {MIN_DISTINCT} different characters (whitespace aside); "
            "choose one that is not a character repeated"
        )
    return passphrase


def load_signing_key(
    path: Path, passphrase_file: Path | None, role: Role, option: str
) -> Ed25519PrivateKey:
    """Load `role`'s private key given as `option`, asking for its passphrase if it
    is encrypted and no --passphrase-file was given. A key of another role is
    refused (KeyFileError, naming the option) before any passphrase is asked."""
    try:
        try:
            return load_private_key(path, _passphrase(passphrase_file, False), role=role)
        except KeyFileError as exc:
            if "passphrase" not in str(exc) or passphrase_file is not None:
                raise
            return load_private_key(path, _passphrase(None, True, confirm=False), role=role)
    except KeyFileError as exc:
        raise KeyFileError(f"{option} {exc}") from exc


def load_role_public_key(path: Path, role: Role, option: str) -> bytes:
    """The raw public key of `role` given as `option`; KeyFileError naming the option."""
    try:
        return raw_public(load_public_key(path, role=role))
    except KeyFileError as exc:
        raise KeyFileError(f"{option} {exc}") from exc


def _new_pair(
    directory: Path, name: str, passphrase: bytes | None, role: Role
) -> Ed25519PrivateKey:
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private, public = directory / f"{name}.key", directory / f"{name}.pub"
    for p in (private, public):
        if p.exists():
            raise KeyFileError(f"{p}: already exists; refusing to overwrite")
    write_private_key(private, key, passphrase, role=role)
    write_public_key(public, key.public_key(), role=role)
    click.echo(f"wrote {clean(private)} (private, 0600) and {clean(public)}, role {role}")
    click.echo(f"key id {key_id(key.public_key())}")
    return key


@keys.command("vendor-init")
@DIR
@click.option("--name", default="vendor", show_default=True, help="Base name of the key files.")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (12 characters or more).")
@NEW_PASSPHRASE_FILE
def vendor_init(directory: Path, name: str, encrypt: bool, passphrase_file: Path | None) -> None:
    """Create the vendor root key pair (keep the private key off the workstation)."""
    _new_pair(directory, name, _new_passphrase(passphrase_file, encrypt), Role.VENDOR_ROOT)


@keys.command("workstation-init")
@DIR
@click.option("--name", default="workstation", show_default=True, help="Base name of the files.")
def workstation_init(directory: Path, name: str) -> None:
    """Create the workstation key pair (unencrypted: the workstation runs unattended)."""
    _new_pair(directory, name, None, Role.WORKSTATION)


@keys.command("reviewer-init")
@DIR
@click.option("--name", default="reviewer", show_default=True, help="Base name of the key files.")
@click.option("--encrypt", is_flag=True, help="Prompt for a passphrase (12 characters or more).")
@NEW_PASSPHRASE_FILE
def reviewer_init(directory: Path, name: str, encrypt: bool, passphrase_file: Path | None) -> None:
    """Create a reviewer key pair, used to countersign a session's seal."""
    _new_pair(directory, name, _new_passphrase(passphrase_file, encrypt), Role.REVIEWER)


@keys.command("certify")
@click.option(
    "--vendor-key",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The vendor root private key (role vendor-root).",
)
@PASSPHRASE_FILE
@click.option(
    "--workstation-pub",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The workstation's public key (role workstation).",
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
    ws_raw = load_role_public_key(workstation_pub, Role.WORKSTATION, "--workstation-pub")
    vendor = load_signing_key(vendor_key, passphrase_file, Role.VENDOR_ROOT, "--vendor-key")
    now = int(time.time())
    ws_key = Ed25519PublicKey.from_public_bytes(ws_raw)
    cert = Certificate.issue(vendor, workstation, ws_key, now - 300, now + days * 86400)
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
    help="Vendor root public key to check certificates against.",
)
def show(files: tuple[Path, ...], trust: tuple[Path, ...]) -> None:
    """Describe key and certificate files: role, kind, key id, and for certificates
    the workstation, issuer, validity and (with --trust) whether the signature
    holds. Every file is described, whatever the others are. Exit status 1 if,
    with --trust, a certificate is not signed by a trusted key; else 2 if a file
    could not be described."""
    trusted = [trusted_key(p) for p in trust]
    untrusted = unreadable = 0
    for path in files:
        try:
            text, ok = _describe(path, trusted)
        except (KeyFileError, OSError, ValueError) as exc:  # say so, and go on
            unreadable += 1
            click.echo(f"{clean(path)}: cannot be described: {clean(str(exc))}", err=True)
            continue
        untrusted += ok is False
        click.echo(f"{clean(path)}: {text}")
    if untrusted:
        raise SystemExit(1)
    if unreadable:
        raise SystemExit(2)


def _describe(path: Path, trusted: list[bytes]) -> tuple[str, bool | None]:
    """A sentence about the file, and for a certificate checked against `trusted`
    whether a trusted key signed it (None when nothing was checked)."""
    try:
        head = read_small(path, MAX_KEY_FILE)
    except OSError as exc:
        raise KeyFileError(f"{path}: {exc.strerror or exc}") from exc
    head = head.removeprefix(BOM)  # a key file with one is described as refused
    if head.startswith(ROLE_PREFIX) or head.startswith(b"-----BEGIN"):
        return _describe_key(path), None
    cert = Certificate.load(path)
    valid = f"{_day(cert.not_before)} to {_day(cert.not_after)}"
    text = (
        f"workstation certificate for {clean(cert.workstation)}, key {key_id(cert.key)}, "
        f"issuer {clean(cert.issuer)}, valid {valid}"
    )
    if not trusted:
        return text, None
    ok = any(cert.signed_by(k) for k in trusted)
    return text + ", signature " + (
        "valid for a trusted key" if ok else "NOT from a trusted key"
    ), ok


def _describe_key(path: Path) -> str:
    text = read_key_file(path)
    what = "Ed25519 " + describe(text.role, text.kind)
    if text.role is None:
        what += " (written before key roles; see cleanroom keys set-role)"
    try:
        if text.kind == "public":
            return f"{what}, key id {key_id(parse_public_key(path, text.pem))}"
        check_private_mode(path)
        return f"{what}, key id {key_id(raw_public(parse_private_key(path, text.pem, None)))}"
    except KeyFileError as exc:
        return f"{what}, unreadable here: {clean(exc)}"


@keys.command("set-role")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
def set_role_command(role: str, files: tuple[Path, ...]) -> None:
    """Give key files written before key roles their ROLE (a one-time migration).

    Adds the role line in place, keeping the key and the file's mode; no
    passphrase is needed. A file that already names a role is never changed.
    """
    for path in files:
        changed = set_role(path, Role(role))
        click.echo(f"{clean(path)}: " + ("now" if changed else "already") + f" a {role} key")


def _day(unix: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(unix))
