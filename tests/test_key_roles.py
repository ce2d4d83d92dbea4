"""Each key file says whether it is the vendor root, a workstation or a reviewer key,
and every command refuses a key of the wrong role (issue 11 §1 "Key roles").

Real key files made by `cleanroom keys`, the real command line in a subprocess:
the refusals must be exit 2, with a sentence naming the roles and no traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.ledger.keys import KeyFileError, Role, load_private_key, load_public_key, raw_public

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
PASSPHRASE = "correct horse battery"


def cli(*args: object, cwd: Path | None = None, input: str | None = None):
    return subprocess.run(
        [str(BIN / "cleanroom"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def refused(out: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, a one-line explanation naming `words`, and never a traceback."""
    text = out.stdout + out.stderr
    assert out.returncode == 2, text
    assert "Traceback" not in text and "Error" in out.stderr, text
    for word in words:
        assert word in out.stderr, (word, out.stderr)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """vendor (encrypted), workstation and reviewer keys, made by the real CLI."""
    d = tmp_path_factory.mktemp("keys")
    (d / "pass").write_text(PASSPHRASE + "\n")
    (d / "pass").chmod(0o600)
    for args in (
        ["vendor-init", "--passphrase-file", d / "pass"],
        ["workstation-init"],
        ["reviewer-init"],
    ):
        out = cli("keys", *args, "--dir", d)
        assert out.returncode == 0, out.stderr
    out = cli("keys", "certify", "--vendor-key", d / "vendor.key", "--passphrase-file",
              d / "pass", "--workstation-pub", d / "workstation.pub", "--id", "ws-01",
              "-o", d / "ws.cert")  # fmt: skip
    assert out.returncode == 0, out.stderr
    (d / "src").mkdir()
    (d / "src" / "a.txt").write_text("hello\n")
    return d


def certify(keys: Path, tmp_path: Path, vendor_key: str, workstation_pub: str):
    return cli("keys", "certify", "--vendor-key", keys / vendor_key, "--passphrase-file",
               keys / "pass", "--workstation-pub", keys / workstation_pub, "--id", "ws-02",
               "-o", tmp_path / "new.cert")  # fmt: skip


@pytest.mark.parametrize("wrong", ["workstation.key", "reviewer.key"])
def test_certify_refuses_a_vendor_key_that_is_not_the_vendor_root(keys, tmp_path, wrong):
    out = certify(keys, tmp_path, wrong, "workstation.pub")
    refused(out, "--vendor-key", wrong.split(".")[0], "vendor-root")
    assert not (tmp_path / "new.cert").exists()


@pytest.mark.parametrize("wrong", ["vendor.pub", "reviewer.pub"])
def test_certify_refuses_to_certify_a_key_that_is_not_a_workstation_key(keys, tmp_path, wrong):
    out = certify(keys, tmp_path, "vendor.key", wrong)
    refused(out, "--workstation-pub", wrong.split(".")[0], "workstation")
    assert not (tmp_path / "new.cert").exists()


def test_the_right_keys_still_certify(keys, tmp_path):
    out = certify(keys, tmp_path, "vendor.key", "workstation.pub")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "new.cert").exists()


@pytest.mark.parametrize("wrong", ["workstation.key", "reviewer.key"])
def test_snapshot_create_refuses_a_key_that_is_not_the_vendor_root(keys, tmp_path, wrong):
    out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
              "--vendor-key", keys / wrong)  # fmt: skip
    refused(out, "--vendor-key", wrong.split(".")[0], "vendor-root")
    assert not (tmp_path / "s.snapshot").exists()


@pytest.mark.parametrize("command", ["certify", "snapshot"])
def test_a_public_key_given_as_vendor_key_says_so_rather_than_chmod(keys, tmp_path, command):
    if command == "certify":
        out = certify(keys, tmp_path, "vendor.pub", "workstation.pub")
    else:
        out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
                  "--vendor-key", keys / "vendor.pub")  # fmt: skip
    refused(out, "public key", "vendor.key")
    assert "chmod" not in out.stderr


@pytest.mark.parametrize("wrong", ["workstation.pub", "reviewer.pub", "vendor.key"])
def test_verify_refuses_a_trust_key_that_is_not_a_vendor_root_public_key(keys, wrong):
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", keys / wrong)
    refused(out, "--trust", "vendor-root")
    assert "PRIVATE" not in out.stderr and "BEGIN" not in out.stderr


def test_keys_show_names_the_role_of_every_key_file(keys):
    out = cli("keys", "show", *(keys / f"{n}.{e}" for n in ("vendor", "workstation",
              "reviewer") for e in ("key", "pub")))  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    roles = ["vendor-root"] * 2 + ["workstation"] * 2 + ["reviewer"] * 2
    for line, role in zip(lines, roles, strict=True):
        assert f"{role} {'private' if '.key:' in line else 'public'} key" in line, line


def test_keys_show_describes_every_file_past_an_unreadable_one(keys, tmp_path):
    """It stopped at the first file it could not read (attack review)."""
    import os

    junk = tmp_path / "junk.pub"
    junk.write_bytes(b"\xff\x00 not a key\n")
    os.mkfifo(tmp_path / "fifo.pub")
    out = cli("keys", "show", junk, tmp_path / "fifo.pub", keys / "vendor.pub",
              keys / "reviewer.pub")  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert "vendor-root public key" in out.stdout and "reviewer public key" in out.stdout
    assert out.stderr.count("cannot be described") == 2, out.stderr
    assert "Traceback" not in out.stderr


def test_a_role_line_cannot_be_an_unknown_role(keys, tmp_path):
    text = (keys / "vendor.pub").read_text().replace("vendor-root", "vendor-rooty", 1)
    (tmp_path / "odd.pub").write_text(text)
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", tmp_path / "odd.pub")
    refused(out, "vendor-rooty")


# -- files made before key roles ---------------------------------------------------


def legacy_private_key(path: Path) -> Ed25519PrivateKey:
    """A key file exactly as Cleanroom wrote it before key roles: bare PKCS#8 PEM."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def test_old_public_keys_without_a_role_are_still_trusted_for_verifying():
    assert b"Role" not in (VECTORS / "vendor.pub").read_bytes()  # a pre-roles file
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", VECTORS / "vendor.pub")
    assert out.returncode == 0, out.stdout + out.stderr


def test_an_old_private_key_must_be_given_its_role_before_it_signs(keys, tmp_path):
    old = tmp_path / "old-vendor.key"
    legacy_private_key(old)
    out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
              "--vendor-key", old)  # fmt: skip
    refused(out, "no role", f"cleanroom keys set-role vendor-root {old}")
    assert not (tmp_path / "s.snapshot").exists()
    out = cli("keys", "set-role", "vendor-root", old)
    assert out.returncode == 0, out.stderr
    assert os.stat(old).st_mode & 0o777 == 0o600
    out = cli("snapshot", "create", keys / "src", "-o", tmp_path / "s.snapshot", "-q",
              "--vendor-key", old)  # fmt: skip
    assert out.returncode == 0, out.stderr


def test_set_role_never_changes_a_role_a_file_already_has(keys, tmp_path):
    copy = tmp_path / "workstation.key"
    copy.write_bytes((keys / "workstation.key").read_bytes())
    copy.chmod(0o600)
    out = cli("keys", "set-role", "vendor-root", copy)
    refused(out, "workstation")
    assert copy.read_bytes() == (keys / "workstation.key").read_bytes()


def test_set_role_refuses_a_file_that_is_not_a_key(tmp_path):
    junk = tmp_path / "junk.key"
    junk.write_bytes(b"\xff\x00 not a key\n")
    junk.chmod(0o600)
    refused(cli("keys", "set-role", "vendor-root", junk), "junk.key")
    assert junk.read_bytes() == b"\xff\x00 not a key\n"


# -- passphrases -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["vendor-init", "reviewer-init"])
@pytest.mark.parametrize("weak", ["ab", "", "elevenchars"])
def test_a_short_passphrase_file_is_refused_and_nothing_is_written(tmp_path, command, weak):
    (tmp_path / "pass").write_text(weak + "\n")
    out = cli("keys", command, "--dir", tmp_path / "k", "--passphrase-file", tmp_path / "pass")
    refused(out, "12 characters")
    assert not (tmp_path / "k").exists() or not list((tmp_path / "k").iterdir())


@pytest.mark.parametrize("weak", [" " * 12, "a" * 12, "ab" * 8, "a b a b a b a b"])
def test_a_long_but_repeated_passphrase_is_refused(tmp_path, weak):
    """Twelve spaces met the 12-character minimum (found by the attack review)."""
    (tmp_path / "pass").write_text(weak + "\n")
    out = cli("keys", "vendor-init", "--dir", tmp_path / "k", "--passphrase-file",
              tmp_path / "pass")  # fmt: skip
    refused(out, "different characters")
    assert not (tmp_path / "k").exists() or not list((tmp_path / "k").iterdir())


def test_a_short_prompted_passphrase_is_refused(tmp_path):
    out = cli("keys", "vendor-init", "--dir", tmp_path / "k", "--encrypt", input="ab\nab\n")
    refused(out, "12 characters")
    assert not (tmp_path / "k").exists() or not list((tmp_path / "k").iterdir())


def test_a_twelve_character_passphrase_is_enough(tmp_path):
    (tmp_path / "pass").write_text("twelve chars\n")
    out = cli("keys", "vendor-init", "--dir", tmp_path / "k", "--passphrase-file",
              tmp_path / "pass")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "k" / "vendor.key").read_bytes()


# -- the file format (ledger-format §1 "Key files") -----------------------------------


def test_openssl_style_readers_skip_the_role_line(keys):
    """The role line is explanatory text before the PEM block (RFC 7468 §2)."""
    data = (keys / "workstation.pub").read_bytes()
    assert data.startswith(b"Cleanroom-Key-Role: workstation\n-----BEGIN PUBLIC KEY-----")
    serialization.load_pem_public_key(data)
    serialization.load_pem_private_key((keys / "workstation.key").read_bytes(), None)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_the_openssl_command_reads_key_files_with_a_role_line(keys):
    out = subprocess.run(["openssl", "pkey", "-in", keys / "reviewer.key", "-pubout"],
                         capture_output=True, timeout=60)  # fmt: skip
    assert (
        out.returncode == 0
        and out.stdout == (keys / "reviewer.pub").read_bytes().split(b"\n", 1)[1]
    )


def test_the_minimal_verifier_reads_a_vendor_key_with_a_role_line(tmp_path):
    pub = tmp_path / "vendor.pub"
    pub.write_bytes(b"Cleanroom-Key-Role: vendor-root\n" + (VECTORS / "vendor.pub").read_bytes())
    out = subprocess.run([sys.executable, ROOT / "scripts" / "verify_minimal.py",
                          VECTORS / "sealed.ledger", f"--trust={pub}"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.stdout.startswith("INTACT"), out.stdout + out.stderr
    assert load_public_key(pub, role=Role.VENDOR_ROOT) is not None


PEM = (VECTORS / "vendor.pub").read_bytes()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "no PEM block"),
        (b"C", "no PEM block"),
        (b"Cleanroom-Key-Role: vendor-root", "not followed by a key"),
        (b"Cleanroom-Key-Role: vendor-root\n", "no PEM block"),
        (b"Cleanroom-Key-Role: Vendor-Root\n" + PEM, "unknown key role"),
        (b"Cleanroom-Key-Role: vendor-root \n" + PEM, "unknown key role"),
        (b"Cleanroom-Key-Role: \xff\xfe\n" + PEM, "unknown key role"),
        (b"Cleanroom-Key-Role: vendor-root\nhello\n" + PEM, "no PEM block"),
        (b"hello\nCleanroom-Key-Role: vendor-root\n" + PEM, "no PEM block"),
        (b"Cleanroom-Key-Role: vendor-root\n-----BEGIN CERTIFICATE-----\n", "not a private or"),
        (b"Cleanroom-Key-Role: vendor-root\n" + b"-----BEGIN " * 10_000, "too large"),
        (b"\x00" * 100, "no PEM block"),
    ],
)
def test_malformed_key_files_are_refused_with_a_reason(tmp_path, data, message):
    path = tmp_path / "k.pub"
    path.write_bytes(data)
    with pytest.raises(KeyFileError, match=message):
        load_public_key(path, role=Role.VENDOR_ROOT, unmarked_ok=True)


def test_a_role_line_ending_in_crlf_is_read(tmp_path):
    path = tmp_path / "k.pub"
    path.write_bytes(b"Cleanroom-Key-Role: vendor-root\r\n" + PEM)
    assert load_public_key(path, role=Role.VENDOR_ROOT).public_bytes_raw()
    with pytest.raises(KeyFileError, match="is a vendor-root public key"):
        load_public_key(path, role=Role.WORKSTATION)


def test_terminal_escapes_in_a_role_line_never_reach_the_terminal(tmp_path):
    path = tmp_path / "evil.pub"
    path.write_bytes(b"Cleanroom-Key-Role: \x1b]52;c;eA==\x07\x9b2J\n" + PEM)
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", path)
    refused(out, "unknown key role")
    assert "\x1b" not in out.stderr and "\x07" not in out.stderr and "\x9b" not in out.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["verify", VECTORS / "sealed.ledger"],
        ["report", VECTORS / "sealed.ledger", "-o", "r.json", "--snapshot", "absent.snapshot"],
        ["who-viewed", "a.py", VECTORS / "sealed.ledger"],
        ["replay", VECTORS / "sealed.ledger", "--snapshot", "absent.snapshot"],
        ["snapshot", "verify", "absent.snapshot"],
        ["snapshot", "info", "absent.snapshot"],
        ["keys", "show", VECTORS / "vendor.pub"],
    ],
    ids=lambda c: " ".join(map(str, c[:2])),
)
@pytest.mark.parametrize("wrong", ["workstation.pub", "reviewer.key"])
def test_every_trust_option_refuses_another_roles_key(keys, tmp_path, command, wrong):
    out = cli(*command, "--trust", keys / wrong, cwd=tmp_path)
    refused(out, "--trust", "vendor-root public key is needed")


def test_set_role_needs_no_passphrase_and_keeps_the_key(tmp_path):
    old = tmp_path / "reviewer.key"
    key = Ed25519PrivateKey.generate()
    encrypted = serialization.BestAvailableEncryption(PASSPHRASE.encode())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encrypted
    )
    old.write_bytes(pem)
    old.chmod(0o600)
    shown = cli("keys", "show", old)
    assert "private key with no role" in shown.stdout and "set-role" in shown.stdout
    out = cli("keys", "set-role", "reviewer", old)
    assert out.returncode == 0 and "now a reviewer key" in out.stdout, out.stderr
    assert old.read_bytes() == b"Cleanroom-Key-Role: reviewer\n" + pem
    loaded = load_private_key(old, PASSPHRASE.encode(), role=Role.REVIEWER)
    assert raw_public(loaded) == raw_public(key)
    again = cli("keys", "set-role", "reviewer", old)
    assert again.returncode == 0 and "already a reviewer key" in again.stdout


def test_set_role_refuses_a_private_key_others_can_read(tmp_path):
    old = tmp_path / "vendor.key"
    legacy_private_key(old)
    old.chmod(0o644)
    before = old.read_bytes()
    refused(cli("keys", "set-role", "vendor-root", old), "chmod 600")
    assert old.read_bytes() == before


def test_the_kdf_the_docs_describe_is_the_one_used(tmp_path):
    """ADR 0008 and the threat model say new keys use PBKDF2 at 2,048 iterations."""
    import base64

    (tmp_path / "pass").write_text(PASSPHRASE + "\n")
    out = cli("keys", "reviewer-init", "--dir", tmp_path, "--passphrase-file", tmp_path / "pass")
    assert out.returncode == 0, out.stderr
    lines = (tmp_path / "reviewer.key").read_text().splitlines()
    assert lines[:2] == ["Cleanroom-Key-Role: reviewer", "-----BEGIN ENCRYPTED PRIVATE KEY-----"]
    der = base64.b64decode("".join(lines[2:-1]))
    pbkdf2 = bytes.fromhex("06092a864886f70d01050c")
    salt_then_count = der.index(pbkdf2) + len(pbkdf2) + 2 + 2 + 16
    assert der[salt_then_count : salt_then_count + 4] == b"\x02\x02\x08\x00"


@pytest.mark.parametrize("wrong", ["workstation.pub", "vendor.pub", "reviewer.key"])
def test_a_reviewer_key_anchor_must_be_a_reviewer_public_key(keys, tmp_path, wrong):
    """A stolen workstation key must never vouch for a countersignature (ADR 0007)."""
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", VECTORS / "vendor.pub",
              "--reviewer-key", keys / wrong)  # fmt: skip
    refused(out, wrong, "reviewer public key is needed")
    listing = tmp_path / "reviewers.txt"
    listing.write_text(f"{keys / wrong} Ada\n")
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", VECTORS / "vendor.pub",
              "--reviewer-keys", listing)  # fmt: skip
    refused(out, "reviewers.txt", "reviewer public key is needed")


def test_a_reviewer_key_anchor_from_before_roles_is_still_read(keys, tmp_path):
    old = tmp_path / "reviewer.pub"
    old.write_bytes((keys / "reviewer.pub").read_bytes().split(b"\n", 1)[1])
    out = cli("verify", VECTORS / "sealed.ledger", "--trust", VECTORS / "vendor.pub",
              "--reviewer-key", old)  # fmt: skip
    assert out.returncode in (0, 1, 3) and "Traceback" not in out.stderr, out.stderr
