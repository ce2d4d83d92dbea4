"""`keys set-role` on a key file reached through a symbolic link.

It wrote the key with its role to a temporary file and renamed it over the
*link*: the link became a copy of the key (a private key copied to a second
place), and the file it named, which other settings may still point to, kept no
role, although the command said "now a reviewer key".
"""

from cryptography.hazmat.primitives import serialization

from cleanroom.ledger.keyrole import ROLE_PREFIX
from tests.ledgerkit import seeded_key
from tests.test_verify_cli import run


def test_set_role_gives_the_linked_file_its_role_and_keeps_the_link(tmp_path):
    real = tmp_path / "keys" / "ada.pub"
    real.parent.mkdir()
    real.write_bytes(
        seeded_key("set-role/link")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    link = tmp_path / "reviewer.pub"
    link.symlink_to(real)
    out = run("keys", "set-role", "reviewer", link)
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and link.resolve() == real
    assert real.read_bytes().startswith(ROLE_PREFIX + b"reviewer\n")
    assert sorted(p.name for p in real.parent.iterdir()) == ["ada.pub"]
