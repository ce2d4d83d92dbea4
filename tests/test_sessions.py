"""One workstation's sessions form a single chain (spec §5.4)."""

import shutil

from cleanroom.ledger.credit import credit
from cleanroom.ledger.findings import Finding
from cleanroom.ledger.sessions import check_sessions, copies
from cleanroom.ledger.verify import verify_path
from cleanroom.ledger.writer import Ledger


def chain(kit, directory, n):
    ledgers, prev = [], None
    for _ in range(n):
        ledger = Ledger.create(
            directory, kit.workstation, kit.reviewer_ref(), prev_session=prev,
            clock=kit.clock, keygen=kit.keys,
        )  # fmt: skip
        kit.clock.wall_us += 2_000_000  # distinct file names, one per second
        ledger.seal()
        ledgers.append(ledger)
        prev = ledger.head
    return ledgers


def codes(kit, paths) -> list[str]:
    found: list[Finding] = check_sessions([verify_path(p, kit.trust) for p in paths])
    return sorted(f.code for f in found)


def test_a_complete_chain_has_no_findings(kit, ledger_dir):
    ledgers = chain(kit, ledger_dir, 4)
    assert codes(kit, [x.path for x in ledgers]) == []


def test_a_deleted_middle_session_is_missing(kit, ledger_dir):
    ledgers = chain(kit, ledger_dir, 4)
    assert codes(kit, [x.path for x in ledgers if x is not ledgers[1]]) == ["SESSION_MISSING"]


def test_two_sessions_after_one_predecessor_are_a_fork(kit, ledger_dir):
    ledgers = chain(kit, ledger_dir, 2)
    twin = Ledger.create(
        ledger_dir, kit.workstation, kit.reviewer_ref(), prev_session=ledgers[0].head,
        clock=kit.clock, keygen=kit.keys,
    )  # fmt: skip
    twin.seal()
    assert codes(kit, [x.path for x in ledgers] + [twin.path]) == ["SESSION_FORK"]


def test_a_predecessor_changed_after_its_successor_started(kit, ledger_dir):
    first = kit.new_ledger(ledger_dir, views=1)
    second = Ledger.create(
        ledger_dir / "..", kit.workstation, kit.reviewer_ref(), prev_session=first.head,
        clock=kit.clock, keygen=kit.keys,
    )  # fmt: skip
    second.seal()
    first.seal()  # the first session went on after the second one recorded its head
    assert codes(kit, [first.path, second.path]) == ["SESSION_HEAD", "SESSION_ORDER"]


def test_a_copy_of_a_ledger_is_reported_as_a_copy_and_counted_once(kit, ledger_dir, tmp_path):
    (only,) = chain(kit, ledger_dir, 1)
    copy = tmp_path / "copy.ledger"
    shutil.copyfile(only.path, copy)
    verdicts = [verify_path(p, kit.trust) for p in [only.path, copy]]
    (found,) = check_sessions(verdicts)
    assert found.code == "SESSION_COPY" and f"{copy} is a copy of {only.path}" in found.message
    assert copies(verdicts) == {1: 0}


def test_one_ledger_named_twice_is_named_once_in_its_finding(kit, ledger_dir):
    (only,) = chain(kit, ledger_dir, 1)
    other = ledger_dir / "." / only.path.name  # the same file, spelled another way
    verdicts = [verify_path(p, kit.trust) for p in [only.path, other]]
    (found,) = check_sessions(verdicts)
    assert found.code == "SESSION_COPY" and "is given twice" in found.message
    assert copies(verdicts) == {1: 0}


def test_the_same_session_id_with_other_content_stays_a_fork(kit, ledger_dir, tmp_path):
    (only,) = chain(kit, ledger_dir, 1)
    early = verify_path(only.path, kit.trust)
    later = verify_path(only.path, kit.trust)
    later.summary["head"] = {**later.summary["head"], "seq": later.summary["head"]["seq"] + 1}
    assert sorted(f.code for f in check_sessions([early, later])) == ["SESSION_FORK"]
    # Credited once (ADR 0308): the second branch is dropped and, with no entry
    # hashes to compare, the first is credited with nothing (cut before entry 0).
    assert copies([early, later]) == {1: 0}
    assert credit([early, later]).cut == {0: -1}
