"""The seal's receipt is written under a temporary name, then renamed into place.

Whoever can write in the ledger directory could plant a symbolic link under that
temporary name (the ledger's name is visible from the session's start): the
writer followed it and wrote the receipt over the link's target, a file of the
reviewer's user of the planter's choosing, and the receipt became a link.
"""

import os

from cleanroom.ledger.witness import Receipt
from cleanroom.ledger.writer import receipt_path


def test_a_link_under_the_receipts_temporary_name_is_not_followed(kit, ledger_dir, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    ledger = kit.new_ledger(ledger_dir, views=2)
    final = receipt_path(ledger.path)
    os.symlink(victim, final.with_name(final.name + ".tmp"))
    receipt = ledger.seal()
    assert victim.read_text() == "precious\n"
    assert not final.is_symlink()
    assert Receipt.load(final) == receipt
    assert sorted(p.name for p in ledger_dir.iterdir()) == sorted([ledger.path.name, final.name])
