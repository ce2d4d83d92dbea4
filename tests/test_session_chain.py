"""The session chain survives ordinary life: a wall clock set back between
sessions, and a renewed workstation certificate (spec §5.4, docs/verdict.md)."""

from pathlib import Path

from cleanroom.cli.review import Setup, settle_crashed, start_ledger
from cleanroom.ledger.findings import Severity
from cleanroom.ledger.keys import Certificate
from cleanroom.ledger.sessions import check_sessions
from cleanroom.ledger.verdict import Status, worst
from cleanroom.ledger.verify import verify_path
from cleanroom.ledger.writer import Workstation
from cleanroom.session.source import MemorySource
from tests.ledgerkit import CERT_END, CERT_START, Kit, View, seeded_key
from tests.test_cli_review import SNAP


def setup_for(kit: Kit, ledger_dir: Path, workstation: Workstation | None = None) -> Setup:
    return Setup(
        workstation or kit.workstation, kit.trust, MemorySource({b"a": b"x\n"}), SNAP, "sample",
        ledger_dir, kit.reviewer_ref(), kit.reviewer, clock=kit.clock,
    )  # fmt: skip


def session(kit: Kit, setup: Setup, seal: bool = True) -> Path:
    """One session as `cleanroom review` runs it: settle crashes, start, view, seal."""
    ledger = settle_crashed(setup, "abandon") or start_ledger(setup)
    ledger.append(View("ab" * 32, 1, 40))
    kit.clock.wall_us += 2_000_000  # distinct file names
    if seal:
        ledger.seal(countersigner=kit.reviewer)
    else:
        ledger.close()  # the process died
    return ledger.path


def verify_dir(kit: Kit, directory: Path):
    verdicts = [verify_path(p, kit.trust) for p in sorted(directory.glob("*.ledger"))]
    sessions = check_sessions(verdicts)
    overall = worst([v.status for v in verdicts] + [_status(sessions)])
    return verdicts, sessions, overall


def _status(findings) -> Status:
    if any(f.severity is Severity.TAMPER for f in findings):
        return Status.TAMPERED
    return Status.INTACT


def prev_of(kit: Kit, path: Path) -> str | None:
    prev = verify_path(path, kit.trust).summary["prev_session"]
    return None if prev is None else prev["ledger"]


def ledger_of(kit: Kit, path: Path) -> str:
    return verify_path(path, kit.trust).summary["ledger"]


def test_a_clock_set_back_between_sessions_keeps_one_chain(kit, ledger_dir):
    setup = setup_for(kit, ledger_dir)
    a = session(kit, setup)
    kit.clock.wall_us -= 60_000_000  # NTP steps the clock back a minute
    b = session(kit, setup)
    c = session(kit, setup)
    assert prev_of(kit, b) == ledger_of(kit, a)
    assert prev_of(kit, c) == ledger_of(kit, b)  # by wall clock, a looks newest
    _, sessions, overall = verify_dir(kit, ledger_dir)
    assert overall is Status.INTACT, sessions
    assert [f.code for f in sessions] == ["SESSION_CLOCK"]
    assert "set back" in sessions[0].message


def test_a_clock_set_back_across_a_reboot_is_only_a_warning(kit, ledger_dir):
    setup = setup_for(kit, ledger_dir)
    session(kit, setup)
    kit.clock.wall_us -= 3_600_000_000
    kit.clock.boot, kit.clock.mono_us = b"\x07" * 16, 10  # a new boot counts from zero
    session(kit, setup)
    _, sessions, overall = verify_dir(kit, ledger_dir)
    assert (overall, [f.code for f in sessions]) == (Status.INTACT, ["SESSION_CLOCK"])


def renewed(kit: Kit, key_seed: str | None = None, days: int = 30) -> Workstation:
    """The workstation with a certificate issued later, for its key or a new one."""
    key = seeded_key(key_seed) if key_seed else kit.workstation.key
    start = CERT_START + days * 86400
    cert = Certificate.issue(kit.vendor, "ws-01", key.public_key(), start, CERT_END + 86400)
    return Workstation(key, cert)


def test_a_renewed_certificate_continues_the_chain_and_is_shown(kit, ledger_dir):
    a = session(kit, setup_for(kit, ledger_dir))
    b = session(kit, setup_for(kit, ledger_dir, renewed(kit)))
    assert prev_of(kit, b) == ledger_of(kit, a)
    _, sessions, overall = verify_dir(kit, ledger_dir)
    assert overall is Status.INTACT, sessions
    assert [f.code for f in sessions] == ["SESSION_RENEWED"]
    assert "renewed certificate with the same key" in sessions[0].message


def test_after_a_renewal_a_crashed_session_is_still_offered_for_resume(kit, ledger_dir):
    crashed = session(kit, setup_for(kit, ledger_dir), seal=False)
    setup = setup_for(kit, ledger_dir, renewed(kit))
    resumed = settle_crashed(setup, "resume")
    assert resumed is not None and resumed.path == crashed
    resumed.seal(countersigner=kit.reviewer)
    nxt = session(kit, setup)
    assert prev_of(kit, nxt) == ledger_of(kit, crashed)
    _, sessions, overall = verify_dir(kit, ledger_dir)
    assert overall is Status.INCOMPLETE  # RESUMED: a crash is a discontinuity
    assert [f.code for f in sessions] == ["SESSION_RENEWED"]


def test_a_new_workstation_key_continues_the_chain(kit, ledger_dir):
    crashed = session(kit, setup_for(kit, ledger_dir), seal=False)
    setup = setup_for(kit, ledger_dir, renewed(kit, "chain/new-workstation-key"))
    nxt = session(kit, setup)  # the old key's session cannot be resumed by the new key
    assert prev_of(kit, nxt) == ledger_of(kit, crashed)
    verdicts, sessions, overall = verify_dir(kit, ledger_dir)
    assert overall is Status.INCOMPLETE, sessions  # the crashed one stays UNSEALED
    assert [f.code for f in sessions] == ["SESSION_RENEWED"]
    assert "a new workstation key" in sessions[0].message


def test_another_workstation_or_an_untrusted_certificate_is_not_ours(kit, ledger_dir):
    other = Kit("chain/other")
    foreign = other.new_ledger(ledger_dir, views=1)  # same id "ws-01", another vendor
    foreign.seal()
    mine = session(kit, setup_for(kit, ledger_dir))
    assert prev_of(kit, mine) is None


def test_a_crashed_session_whose_certificate_has_ended_stays_unsealed(kit, ledger_dir):
    old = Certificate.issue(
        kit.vendor, "ws-01", kit.workstation.key.public_key(), CERT_START, CERT_START + 10**7
    )
    kit.clock.wall_us = (CERT_START + 10**6) * 1_000_000
    crashed = session(kit, setup_for(kit, ledger_dir, Workstation(kit.workstation.key, old)), False)
    kit.clock.wall_us = (CERT_START + 2 * 10**7) * 1_000_000  # after it ended: renewed
    setup = setup_for(kit, ledger_dir)
    assert settle_crashed(setup, "abandon") is None  # a resume would be CERT_EXPIRED
    nxt = session(kit, setup)
    assert prev_of(kit, nxt) == ledger_of(kit, crashed)
    verdicts, sessions, overall = verify_dir(kit, ledger_dir)
    assert overall is Status.INCOMPLETE, [v.findings for v in verdicts]
    assert sorted(c for v in verdicts for c in v.codes()) == ["UNSEALED"]
    assert [f.code for f in sessions] == ["SESSION_RENEWED"]
