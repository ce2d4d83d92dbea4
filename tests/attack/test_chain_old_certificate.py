"""A session under the certificate a renewal replaced, after the renewal.

A vendor renews a workstation's certificate with a new key, often because the old
key may have leaked. Whoever kept the old key file can still start sessions: its
certificate is valid until it ends, and the chain follows workstation identity.
The cross-session check called such a session one that "runs under a renewed
certificate with a new workstation key": a step back to the replaced key,
described as a renewal. It must say that the certificate is older than its
predecessor's.
"""

from cleanroom.ledger.verdict import Status
from tests.test_session_chain import renewed, session, setup_for, verify_dir


def test_a_step_back_to_the_replaced_key_is_not_called_a_renewal(kit, ledger_dir):
    session(kit, setup_for(kit, ledger_dir))  # under the first certificate
    session(kit, setup_for(kit, ledger_dir, renewed(kit, "chain/new-key")))  # renewed
    back = session(kit, setup_for(kit, ledger_dir))  # the replaced key, used again
    _, sessions, overall = verify_dir(kit, ledger_dir)
    assert overall is Status.INTACT
    about = [f.message for f in sessions if back.name in f.message.split(";")[0]]
    assert len(about) == 1, sessions
    assert "OLDER certificate than its predecessor's" in about[0]
    assert "renewed certificate" not in about[0]
    assert "key a renewal replaced" in about[0]
