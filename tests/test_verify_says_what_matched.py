"""The text verdict and `--json` say what matched, what was reviewed, and why.

A receipt or paper code that matches is evidence too: it must be printed and be
in the JSON, not only its failure (docs/verdict.md, "The text output").
"""

import json
from pathlib import Path

import pytest

from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.ledger.writer import receipt_path
from cleanroom.session.events import Alert
from cleanroom.snapshot.store import Snapshot
from tests import snapshotkit
from tests.ledgerkit import Kit
from tests.test_verify_cli import run


@pytest.fixture
def trust(kit, tmp_path) -> Path:
    path = tmp_path / "vendor.pub"
    write_public_key(path, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    return path


def ledger_json(*args) -> tuple[int, dict]:
    out = run("verify", *args, "--json")
    return out.returncode, json.loads(out.stdout)["ledgers"][0]


def test_a_matching_receipt_is_printed_and_in_the_json(kit, ledger_dir, trust):
    ledger = kit.new_ledger(ledger_dir, views=3)
    ledger.seal()
    receipt = receipt_path(ledger.path)
    head = f"{ledger.head.seq}:{ledger.last.witness}"
    out = run("verify", ledger.path, "--trust", trust, "--receipt", receipt)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"  receipt      matched: head {head}" in out.stdout.splitlines()
    code, doc = ledger_json(ledger.path, "--trust", trust, "--receipt", receipt)
    r = json.loads(receipt.read_text())
    assert doc["receipts"] == [
        {
            "ledger": r["ledger"],
            "seq": r["seq"],
            "head": r["head"],
            "witness": r["witness"],
            "result": "matched",
        }
    ]
    assert doc["witnesses"] == []


def test_a_receipt_past_the_end_is_reported_as_such(kit, ledger_dir, tmp_path, trust):
    import shutil

    ledger = kit.new_ledger(ledger_dir, views=2)
    old = tmp_path / "old.ledger"
    ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(ledger.path, old)
    ledger.seal()
    code, doc = ledger_json(old, "--trust", trust, "--receipt", receipt_path(ledger.path))
    assert code == 1 and [r["result"] for r in doc["receipts"]] == ["beyond_end"]
    out = run("verify", old, "--trust", trust, "--receipt", receipt_path(ledger.path))
    assert "matched" not in out.stdout and "past the end (WITNESS_BEYOND_END)" in out.stdout


def test_matching_and_mismatching_witnesses_are_each_printed(kit, ledger_dir, trust):
    ledger = kit.new_ledger(ledger_dir, views=4)
    code4 = ledger.last.witness
    ledger.seal()
    args = ("--witness", f"4:{code4.lower()}", "--witness", f"3:{code4}")
    out = run("verify", ledger.path, "--trust", trust, *args)
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert f"  witness      4:{code4} matched" in lines
    assert f"  witness      3:{code4} does NOT match (WITNESS_MISMATCH)" in lines
    _, doc = ledger_json(ledger.path, "--trust", trust, *args)
    assert doc["witnesses"] == [
        {"seq": 4, "witness": code4, "result": "matched"},
        {"seq": 3, "witness": code4, "result": "mismatch"},
    ]


def test_the_snapshot_is_shown_by_name_and_version_with_its_id(kit, tmp_path, ledger_dir, trust):
    snapshot = snapshotkit.make(tmp_path, key=kit.vendor, name="acme-fw")
    with Snapshot.open(snapshot, kit.trust) as snap:
        ref = SnapshotRef(id=snap.id, root=snap.manifest.root)
    ledger = kit.new_ledger(ledger_dir, views=1, snapshot=ref)
    ledger.seal()
    out = run("verify", ledger.path, "--trust", trust, "--snapshot", snapshot)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"  snapshot     acme-fw 1.0, id {ref.id} root {ref.root}" in out.stdout.splitlines()
    _, doc = ledger_json(ledger.path, "--trust", trust, "--snapshot", snapshot)
    assert doc["snapshot_name"] == {"name": "acme-fw", "version": "1.0"}
    # Without --snapshot the name cannot be known, and the verdict says so.
    out = run("verify", ledger.path, "--trust", trust)
    assert f"(name unknown: pass --snapshot) id {ref.id}" in out.stdout
    _, doc = ledger_json(ledger.path, "--trust", trust)
    assert doc["snapshot_name"] is None


def test_a_snapshot_of_another_vendor_is_a_usage_error(kit, tmp_path, ledger_dir, trust):
    snapshot = snapshotkit.make(tmp_path, key=Kit("other").vendor, name="acme-fw")
    ledger = kit.new_ledger(ledger_dir, views=1)
    ledger.seal()
    out = run("verify", ledger.path, "--trust", trust, "--snapshot", snapshot)
    assert out.returncode == 2 and "not signed by a trusted vendor key" in out.stderr
    assert out.stdout == ""


def test_alerts_are_printed_as_words_and_sanitized(kit, ledger_dir, trust):
    ledger = kit.new_ledger(ledger_dir, views=1)
    ledger.append(Alert("usb", "a USB storage device was attached", "lock", 2))
    ledger.append(Alert("network", "eth0 up\x1b]52;c;SGk=\x07\u202e", "record", 1))
    ledger.append(Alert("usb", "x" * 5000, "record", 1))
    ledger.seal()
    out = run("verify", ledger.path, "--trust", trust)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    alerts = [x for x in lines if x.startswith("    seq ")]
    assert alerts[0].endswith("usb: a USB storage device was attached (response lock, 2 events)")
    assert "network: eth0 up⟨x1B⟩]52;c;SGk=⟨x07⟩⟨RLO⟩ (response record)" in alerts[1]
    assert len(alerts[2]) < 400 and alerts[2].endswith("…")
    assert '{"' not in out.stdout  # no raw JSON
    assert "\x1b" not in out.stdout and "\u202e" not in out.stdout


def test_an_alert_of_an_unexpected_shape_is_still_readable_and_safe(kit, ledger_dir, trust):
    from tests.ledgerkit import Alert as OddAlert  # fields `what` and `detail`

    ledger = kit.new_ledger(ledger_dir, views=1)
    ledger.append(OddAlert("usb_mount", "/media/\x1b[2Jx"))
    ledger.seal()
    out = run("verify", ledger.path, "--trust", trust)
    line = next(x for x in out.stdout.splitlines() if x.startswith("    seq "))
    assert "(unexpected fields: alert without category)" in line
    assert "detail=/media/⟨x1B⟩[2Jx, what=usb_mount" in line and "\x1b" not in out.stdout


def test_the_finding_that_explains_the_status_comes_first(kit, ledger_dir, trust):
    """Cut tail plus a paper code past it: UNSEALED alone would say INCOMPLETE; the
    code past the end is what makes it TAMPERED, so it is listed first."""
    ledger = kit.new_ledger(ledger_dir, views=6)
    code = ledger.last.witness
    ledger.close()
    from tests.ledgerkit import writable

    with writable(ledger.path) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 6")
    out = run("verify", ledger.path, "--trust", trust, "--witness", f"6:{code}")
    assert out.returncode == 1, out.stdout + out.stderr
    findings = [x for x in out.stdout.splitlines() if x.startswith(("  tamper", "  incomplete"))]
    assert findings[0].split()[:2] == ["tamper", "WITNESS_BEYOND_END"]
    assert any("UNSEALED" in x for x in findings[1:])


def test_only_the_first_20_alerts_are_printed_and_the_rest_counted(kit, ledger_dir, trust):
    ledger = kit.new_ledger(ledger_dir, views=1)
    for i in range(23):
        ledger.append(Alert("usb", f"device {i}", "record", 1))
    ledger.seal()
    out = run("verify", ledger.path, "--trust", trust)
    alerts = [x for x in out.stdout.splitlines() if x.startswith("    seq ")]
    assert len(alerts) == 20 and alerts[-1].endswith("device 19 (response record)")
    assert "    … and 3 more (see --json)" in out.stdout.splitlines()


def test_with_several_ledgers_each_receipt_is_listed_under_its_own(kit, tmp_path, trust):
    dirs = [tmp_path / "a", tmp_path / "b"]
    ledgers = []
    for d in dirs:
        d.mkdir()
        ledger = Kit(d.name).new_ledger(d, views=1)
        ledger.seal()
        ledgers.append(ledger)
    pubs = []
    for k in ("a", "b"):
        pubs += ["--trust", tmp_path / f"{k}.pub"]
        write_public_key(tmp_path / f"{k}.pub", Kit(k).vendor.public_key(), role=Role.VENDOR_ROOT)
    receipts = [
        "--receipt",
        receipt_path(ledgers[1].path),
        "--receipt",
        receipt_path(ledgers[0].path),
    ]
    out = run("verify", ledgers[0].path, ledgers[1].path, *pubs, *receipts, "--json")
    docs = json.loads(out.stdout)["ledgers"]
    for doc, ledger in zip(docs, ledgers, strict=True):
        assert [(r["seq"], r["result"]) for r in doc["receipts"]] == [(ledger.head.seq, "matched")]
        assert doc["receipts"][0]["ledger"] == doc["summary"]["ledger"]


def test_a_key_given_as_a_file_and_in_a_list_is_listed_once(kit, ledger_dir, tmp_path, trust):
    from cleanroom.ledger.keys import raw_public

    pub = tmp_path / "ada.pub"
    write_public_key(pub, kit.reviewer.public_key(), role=Role.REVIEWER)
    listing = tmp_path / "reviewers.txt"
    listing.write_text(f"{raw_public(kit.reviewer).hex()} Ada\n", encoding="utf-8")
    ledger = kit.new_ledger(ledger_dir, views=1)
    ledger.seal(countersigner=kit.reviewer)
    args = ("--reviewer-key", pub, "--reviewer-keys", listing, "--json")
    doc = json.loads(run("verify", ledger.path, "--trust", trust, *args).stdout)
    assert [k["name"] for k in doc["reviewer_keys"]] == [str(pub)]
