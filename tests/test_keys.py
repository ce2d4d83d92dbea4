"""Key files, key ids and certificates, through the API and `cleanroom keys`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.cli import main
from cleanroom.ledger.encoding import CERT_DOMAIN
from cleanroom.ledger.keys import (
    Certificate,
    KeyFileError,
    Role,
    key_id,
    load_private_key,
    load_public_key,
    raw_public,
    write_private_key,
)

V = Role.VENDOR_ROOT


def test_key_id_is_the_domain_separated_fingerprint_of_the_raw_key():
    import hashlib

    key = Ed25519PrivateKey.generate()
    raw = raw_public(key)
    assert key_id(raw) == hashlib.sha256(b"cleanroom:keyid:v1\x00" + raw).hexdigest()[:32]
    assert key_id(key.public_key()) == key_id(raw)


def test_private_keys_are_0600_and_group_readable_ones_are_refused(tmp_path):
    path = tmp_path / "k.key"
    write_private_key(path, Ed25519PrivateKey.generate(), role=V)
    assert os.stat(path).st_mode & 0o777 == 0o600
    load_private_key(path, role=V)
    os.chmod(path, 0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_private_key(path, role=V)


def test_key_files_are_never_overwritten(tmp_path):
    path = tmp_path / "k.key"
    write_private_key(path, Ed25519PrivateKey.generate(), role=V)
    with pytest.raises(KeyFileError, match="already exists"):
        write_private_key(path, Ed25519PrivateKey.generate(), role=V)


def test_encrypted_keys_need_their_passphrase(tmp_path):
    path = tmp_path / "k.key"
    write_private_key(path, Ed25519PrivateKey.generate(), b"correct horse", role=V)
    assert b"ENCRYPTED" in path.read_bytes()
    load_private_key(path, b"correct horse", role=V)
    with pytest.raises(KeyFileError):
        load_private_key(path, role=V)
    with pytest.raises(KeyFileError):
        load_private_key(path, b"wrong", role=V)


@pytest.mark.parametrize(
    "content", [b"", b"not a key", b"\x00" * 100, b"-----BEGIN PUBLIC KEY-----"]
)
def test_garbage_key_files_give_clear_errors(tmp_path, content):
    path = tmp_path / "bad"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError):
        load_private_key(path, role=V)
    with pytest.raises(KeyFileError):
        load_public_key(path, role=V)


def test_other_key_types_are_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pub"
    ec_key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(KeyFileError, match="not an Ed25519"):
        load_public_key(path, role=V, unmarked_ok=True)


def test_certificate_binds_workstation_key_and_validity_under_the_vendor_key(kit):
    cert = kit.workstation.cert
    assert cert.signed_by(raw_public(kit.vendor))
    assert not cert.signed_by(raw_public(kit.reviewer))
    assert kit.vendor.public_key().verify(cert.sig, CERT_DOMAIN + cert.body) is None
    forged = Certificate.parse(cert.body.replace(b"ws-01", b"ws-02"), cert.sig)
    assert not forged.signed_by(raw_public(kit.vendor))


def test_certificate_file_round_trips(kit, tmp_path):
    from cleanroom.ledger.keys import save_certificate

    path = tmp_path / "ws.cert"
    save_certificate(path, kit.workstation.cert)
    assert Certificate.load(path) == kit.workstation.cert
    doc = json.loads(path.read_text())
    doc["sig"] = "00" * 64
    path.write_text(json.dumps(doc))
    assert not Certificate.load(path).signed_by(raw_public(kit.vendor))
    path.write_text("{}")
    with pytest.raises(KeyFileError):
        Certificate.load(path)


def _cli(args, cwd, input=None):
    return CliRunner().invoke(main, args, input=input, catch_exceptions=False)


def test_cli_creates_certifies_and_shows_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _cli(["keys", "vendor-init"], tmp_path).exit_code == 0
    assert _cli(["keys", "workstation-init"], tmp_path).exit_code == 0
    assert _cli(["keys", "reviewer-init"], tmp_path).exit_code == 0
    result = _cli(
        ["keys", "certify", "--vendor-key", "keys/vendor.key", "--workstation-pub",
         "keys/workstation.pub", "--id", "ws-07", "--days", "30", "-o", "keys/ws.cert"],
        tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cert = Certificate.load(Path("keys/ws.cert"))
    assert cert.workstation == "ws-07" and cert.not_after - cert.not_before == 30 * 86400 + 300
    assert cert.key == raw_public(
        load_private_key(Path("keys/workstation.key"), role=Role.WORKSTATION)
    )
    shown = _cli(["keys", "show", "keys/ws.cert", "--trust", "keys/vendor.pub"], tmp_path)
    assert "valid for a trusted key" in shown.output
    shown = _cli(["keys", "show", "keys/ws.cert", "--trust", "keys/reviewer.pub"], tmp_path)
    assert shown.exit_code == 2 and "is a reviewer public key" in shown.output
    again = _cli(["keys", "vendor-init"], tmp_path)
    assert again.exit_code == 2 and "refusing to overwrite" in again.output


def test_cli_encrypts_the_vendor_key_and_prompts_when_certifying(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _cli(
        ["keys", "vendor-init", "--encrypt"], tmp_path, input="s3cret words\ns3cret words\n"
    )
    assert result.exit_code == 0
    _cli(["keys", "workstation-init"], tmp_path)
    args = ["keys", "certify", "--vendor-key", "keys/vendor.key", "--workstation-pub",
            "keys/workstation.pub", "--id", "ws", "-o", "keys/ws.cert"]  # fmt: skip
    wrong = _cli(args, tmp_path, input="nope\n")
    assert wrong.exit_code == 2 and not Path("keys/ws.cert").exists()
    right = _cli(args, tmp_path, input="s3cret words\n")
    assert right.exit_code == 0, right.output


def test_every_keys_command_has_help():
    for cmd in ["vendor-init", "workstation-init", "reviewer-init", "certify", "show"]:
        result = subprocess.run(
            [sys.executable, "-m", "cleanroom", "keys", cmd, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0 and "Usage:" in result.stdout, result.stderr
