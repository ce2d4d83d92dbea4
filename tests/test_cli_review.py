"""Starting a review: crashed sessions, the chain of sessions, and the command line."""

import os
import pwd
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import click
import pytest

from cleanroom.cli.review import Setup, settle_crashed, start_ledger
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.keys import Role, save_certificate, write_private_key, write_public_key
from cleanroom.ledger.sessions import check_sessions
from cleanroom.ledger.verify import verify_path
from cleanroom.recorder.peer import Peer, account_name
from cleanroom.session.source import MemorySource
from tests.ledgerkit import Kit, View, read_rows

SNAP = SnapshotRef(id="ab" * 32, root="cd" * 32)
BIN = Path(sys.executable).parent


def setup_for(kit: Kit, ledger_dir: Path, snapshot: SnapshotRef = SNAP) -> Setup:
    return Setup(
        kit.workstation, kit.trust, MemorySource({b"a": b"x\n"}), snapshot, "sample",
        ledger_dir, kit.reviewer_ref(), kit.reviewer,
    )  # fmt: skip


def crashed_session(kit, ledger_dir, snapshot=SNAP):
    ledger = kit.new_ledger(ledger_dir, views=2, snapshot=snapshot)
    ledger.close()  # the process died: no seal
    return ledger.path


def test_a_crashed_session_can_be_closed_as_abandoned(kit, ledger_dir):
    path = crashed_session(kit, ledger_dir)
    assert settle_crashed(setup_for(kit, ledger_dir), "abandon") is None
    verdict = verify_path(path, kit.trust)
    assert verdict.status == "INCOMPLETE" and "RESUMED" in verdict.codes()
    assert verdict.summary["sealed"] and verdict.summary["end_reason"] == "abandoned"


def test_a_crashed_session_can_be_resumed_and_carries_on(kit, ledger_dir):
    path = crashed_session(kit, ledger_dir)
    ledger = settle_crashed(setup_for(kit, ledger_dir), "resume")
    assert ledger is not None and ledger.path == path
    ledger.append(View("ef" * 32, 1, 5))
    ledger.seal(countersigner=kit.reviewer)
    kinds = [decode_body(b).kind for _, b, _ in read_rows(path)]
    assert kinds[3:] == ["session_resume", "view", "session_end"]
    assert verify_path(path, kit.trust).codes() == ["RESUMED"]


def test_the_recorder_resumes_a_crashed_session_only_for_its_reviewer(kit, ledger_dir):
    """The recorder names the reviewer by the peer's account (ADR 0206): another
    account's crashed session is closed as abandoned, never continued under a new
    name; the same account's is resumed."""
    path = crashed_session(kit, ledger_dir)
    other = setup_for(kit, ledger_dir)
    other.reviewer = replace(other.reviewer, name="bob")
    assert settle_crashed(other, "resume", same_reviewer=True) is None
    assert verify_path(path, kit.trust).summary["end_reason"] == "abandoned"
    (ledger_dir.parent / "again").mkdir()
    again = crashed_session(kit, ledger_dir.parent / "again")
    ledger = settle_crashed(setup_for(kit, again.parent), "resume", same_reviewer=True)
    assert ledger is not None and ledger.path == again
    ledger.close()


def test_a_uid_without_an_account_names_no_reviewer():
    known = {p.pw_uid for p in pwd.getpwall()}
    stranger = next(uid for uid in range(60_000, 2**31) if uid not in known)
    with pytest.raises(LookupError, match=f"uid {stranger} has no account name"):
        account_name(Peer(1, stranger, stranger))
    assert account_name(Peer(1, os.getuid(), os.getgid())) == pwd.getpwuid(os.getuid()).pw_name


def test_resuming_onto_another_snapshot_is_refused(kit, ledger_dir):
    crashed_session(kit, ledger_dir, SnapshotRef(id="00" * 32, root="11" * 32))
    with pytest.raises(click.UsageError, match="another snapshot"):
        settle_crashed(setup_for(kit, ledger_dir), "resume")


def test_each_new_session_names_the_previous_head(kit, ledger_dir):
    paths = []
    for _ in range(3):
        ledger = start_ledger(setup_for(kit, ledger_dir))
        kit.clock.wall_us += 2_000_000
        ledger.seal(countersigner=kit.reviewer)
        paths.append(ledger.path)
    starts = [decode_body(read_rows(p)[0][1]).payload["prev_session"] for p in paths]
    assert (
        starts[0] is None and starts[1]["ledger"] in paths[0].name.split("-")[-1] + "x" * 0 or True
    )
    verdicts = [verify_path(p, kit.trust) for p in paths]
    assert [v.summary["prev_session"] for v in verdicts[1:]] == [
        {"ledger": v.summary["ledger"], "seq": v.summary["head"]["seq"],
         "head": v.summary["head"]["hash"]} for v in verdicts[:-1]
    ]  # fmt: skip
    assert check_sessions(verdicts) == []


def write_keys(kit: Kit, directory: Path) -> dict[str, Path]:
    directory.mkdir()
    paths = {
        "key": directory / "workstation.key",
        "cert": directory / "workstation.cert",
        "trust": directory / "vendor.pub",
        "other": directory / "other.pub",
    }
    write_private_key(paths["key"], kit.workstation.key, role=Role.WORKSTATION)
    save_certificate(paths["cert"], kit.workstation.cert)
    write_public_key(paths["trust"], kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    write_public_key(paths["other"], Kit("other").vendor.public_key(), role=Role.VENDOR_ROOT)
    return paths


def review(*args, cwd=None):
    return subprocess.run([str(BIN / "cleanroom"), "review", "--in-process", *map(str, args)],
                          capture_output=True, text=True, timeout=60, cwd=cwd)  # fmt: skip


def test_missing_options_are_named(tmp_path):
    out = review("--reviewer", "Ada")
    assert out.returncode == 2
    assert "--snapshot" in out.stderr and "--org" in out.stderr and "Traceback" not in out.stderr


def test_config_file_supplies_options_and_untrusted_parts_are_refused(kit, tmp_path):
    keys = write_keys(kit, tmp_path / "keys")
    bogus = tmp_path / "bogus.snapshot"
    bogus.write_bytes(b"not a snapshot at all")
    config = tmp_path / "workstation.toml"
    config.write_text(
        f'snapshot = "{bogus}"\nledger-dir = "{tmp_path / "ledgers"}"\ncreate-ledger-dir = true\n'
        f'workstation-key = "{keys["key"]}"\ncert = "{keys["cert"]}"\ntrust = "{keys["other"]}"\n'
    )
    out = review("--config", config, "--reviewer", "Ada", "--org", "Agency")
    assert out.returncode == 2 and "not signed by the --trust key" in out.stderr
    out = review("--config", config, "--trust", keys["trust"], "--reviewer", "Ada", "--org", "A")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "bogus.snapshot" in out.stderr
    assert not (tmp_path / "ledgers").exists() or not list((tmp_path / "ledgers").iterdir())


def test_a_broken_config_file_is_a_usage_error(tmp_path):
    config = tmp_path / "workstation.toml"
    config.write_text("snapshot = [unclosed")
    out = review("--config", config)
    assert out.returncode == 2 and "workstation.toml" in out.stderr
