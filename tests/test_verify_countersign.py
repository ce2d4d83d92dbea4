"""Who countersigned, and against what it was checked (ADR 0007, docs/verdict.md).

The reviewer key a ledger names is signed by the workstation key, so a thief of
that key can fabricate a session "countersigned" by a key of their own. Only a
reviewer key given from outside (`--reviewer-key`, `--reviewer-keys`) tells the
two apart; without one, the verdict must say that nothing was checked.
"""

import json
from pathlib import Path

import pytest

from cleanroom.ledger.events import Reviewer
from cleanroom.ledger.keys import Role, key_id, raw_public, write_public_key
from cleanroom.ledger.writer import Ledger
from tests.ledgerkit import Kit, SeededKeys, View, seeded_key
from tests.test_verify_cli import run

FRESH = seeded_key("thief/reviewer")  # the key a thief makes up for the fabrication


@pytest.fixture
def files(kit, tmp_path) -> dict[str, Path]:
    """The vendor's trust key and the genuine reviewer's public key, as files."""
    out = {"trust": tmp_path / "vendor.pub", "reviewer": tmp_path / "ada.pub"}
    write_public_key(out["trust"], kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    write_public_key(out["reviewer"], kit.reviewer.public_key(), role=Role.REVIEWER)
    return out


def genuine(kit: Kit, directory: Path) -> Ledger:
    ledger = kit.new_ledger(directory, views=3)
    ledger.seal(countersigner=kit.reviewer)
    return ledger


def fabricated(kit: Kit, directory: Path, countersign: bool = True) -> Ledger:
    """What a thief of the workstation key can make: a whole session under the genuine,
    certified workstation key, naming a reviewer key of their own and countersigning
    with it. The reviewer's name is copied from a genuine session."""
    ledger = Ledger.create(
        directory,
        kit.workstation,
        Reviewer("Ada Reviewer", "Agency", raw_public(FRESH).hex()),
        clock=kit.clock,
        keygen=SeededKeys("thief/entries"),
    )
    for i in range(3):
        ledger.append(View("ab" * 32, i * 10, i * 10 + 40))
    ledger.seal(countersigner=FRESH if countersign else None)
    return ledger


def verify_json(*args) -> tuple[int, dict]:
    out = run("verify", *args, "--json")
    return out.returncode, json.loads(out.stdout) if out.stdout else {}


def countersign_of(doc: dict) -> dict | None:
    return doc["ledgers"][0]["summary"]["reviewer"]["countersign"]


def lines_without_paths(text: str, *paths: Path) -> list[str]:
    for p in paths:
        text = text.replace(str(p), "LEDGER")
    return text.splitlines()


def test_without_a_known_key_the_countersigning_key_is_shown_and_said_unchecked(
    kit, ledger_dir, files
):
    ledger = genuine(kit, ledger_dir)
    out = run("verify", ledger.path, "--trust", files["trust"])
    assert out.returncode == 0, out.stdout + out.stderr
    ada = key_id(raw_public(kit.reviewer))
    line = next(x for x in out.stdout.splitlines() if x.startswith("  countersign "))
    assert ada in line
    assert "NOT checked: no --reviewer-key given" in line
    assert "anyone holding the workstation key could have made" in line
    code, doc = verify_json(ledger.path, "--trust", files["trust"])
    assert code == 0 and doc["reviewer_keys"] == []
    cs = countersign_of(doc)
    assert cs["key_id"] == ada and cs["key"] == raw_public(kit.reviewer).hex()
    assert cs["anchor"] == "not_checked" and cs["verifies"] is True and cs["known_as"] is None
    assert doc["ledgers"][0]["summary"]["reviewer"]["key_id"] == ada


def test_a_genuine_session_matches_the_anchored_reviewer_key(kit, ledger_dir, files):
    ledger = genuine(kit, ledger_dir)
    out = run("verify", ledger.path, "--trust", files["trust"], "--reviewer-key", files["reviewer"])
    assert out.returncode == 0, out.stdout + out.stderr
    ada = key_id(raw_public(kit.reviewer))
    assert f"by reviewer key {ada} ({files['reviewer']}): matches a known reviewer key" in (
        out.stdout
    )
    assert "NOT checked" not in out.stdout
    code, doc = verify_json(
        ledger.path, "--trust", files["trust"], "--reviewer-key", files["reviewer"]
    )
    assert code == 0 and doc["status"] == "INTACT"
    assert doc["reviewer_keys"] == [{"key_id": ada, "name": str(files["reviewer"])}]
    cs = countersign_of(doc)
    assert (cs["anchor"], cs["known_as"], cs["verifies"]) == ("known", str(files["reviewer"]), True)


def test_attack_a_fabricated_countersignature_is_flagged_once_the_real_key_is_anchored(
    kit, tmp_path, files
):
    (real_dir := tmp_path / "real").mkdir()
    (fake_dir := tmp_path / "fake").mkdir()
    real, fake = genuine(kit, real_dir), fabricated(kit, fake_dir)
    anchor = ("--trust", files["trust"], "--reviewer-key", files["reviewer"])
    real_out = run("verify", real.path, *anchor)
    fake_out = run("verify", fake.path, *anchor)
    assert real_out.returncode == 0
    assert fake_out.returncode == 1, fake_out.stdout + fake_out.stderr
    assert f"{fake.path}: TAMPERED" in fake_out.stdout
    assert "REVIEWER_UNKNOWN" in fake_out.stdout
    assert key_id(raw_public(FRESH)) in fake_out.stdout
    assert "matches a known reviewer key" not in fake_out.stdout
    # Never the same words as the genuine session, whatever the paths.
    real_lines = set(lines_without_paths(real_out.stdout, real.path))
    fake_lines = lines_without_paths(fake_out.stdout, fake.path)
    assert fake_lines[0] not in real_lines
    assert next(x for x in fake_lines if "countersign " in x) not in real_lines
    code, doc = verify_json(fake.path, *anchor)
    assert code == 1 and doc["status"] == "TAMPERED"
    cs = countersign_of(doc)
    assert cs["anchor"] == "unknown" and cs["key_id"] == key_id(raw_public(FRESH))
    found = {(f["code"], f["seq"]) for f in doc["ledgers"][0]["findings"]}
    assert ("REVIEWER_UNKNOWN", 0) in found  # named at the start
    assert ("REVIEWER_UNKNOWN", doc["ledgers"][0]["summary"]["head"]["seq"]) in found  # the seal


def test_attack_without_an_anchor_the_fabrication_still_shows_another_key(kit, tmp_path, files):
    """No anchor: both verify INTACT (the documented limit), but the key ids differ and
    both say that nothing was checked."""
    (real_dir := tmp_path / "real").mkdir()
    (fake_dir := tmp_path / "fake").mkdir()
    real, fake = genuine(kit, real_dir), fabricated(kit, fake_dir)
    real_out = run("verify", real.path, "--trust", files["trust"])
    fake_out = run("verify", fake.path, "--trust", files["trust"])
    assert real_out.returncode == fake_out.returncode == 0
    real_cs = next(x for x in real_out.stdout.splitlines() if x.startswith("  countersign "))
    fake_cs = next(x for x in fake_out.stdout.splitlines() if x.startswith("  countersign "))
    assert real_cs != fake_cs
    assert "NOT checked" in real_cs and "NOT checked" in fake_cs


def test_attack_a_fabrication_naming_its_own_key_without_countersigning_is_flagged(
    kit, ledger_dir, files
):
    fake = fabricated(kit, ledger_dir, countersign=False)
    code, doc = verify_json(
        fake.path, "--trust", files["trust"], "--reviewer-key", files["reviewer"]
    )
    assert code == 1
    codes = [(f["code"], f["seq"]) for f in doc["ledgers"][0]["findings"]]
    assert ("REVIEWER_UNKNOWN", 0) in codes and countersign_of(doc) is None


def test_a_session_naming_no_reviewer_key_says_so(kit, ledger_dir, files):
    """Nothing to check: it stays INTACT (a reviewer need not have a key), but the
    verdict never calls it countersigned."""
    ledger = Ledger.create(
        ledger_dir, kit.workstation, Reviewer("Ada Reviewer", "Agency", None), clock=kit.clock
    )
    ledger.seal()
    out = run("verify", ledger.path, "--trust", files["trust"], "--reviewer-key", files["reviewer"])
    assert out.returncode == 0
    assert "countersign  none: the session names no reviewer key" in out.stdout


def test_a_named_key_that_did_not_countersign_is_said_plainly(kit, ledger_dir, files):
    ledger = kit.new_ledger(ledger_dir, views=1)
    ledger.seal()
    out = run("verify", ledger.path, "--trust", files["trust"])
    ada = key_id(raw_public(kit.reviewer))
    assert f"countersign  NONE: the session named reviewer key {ada}" in out.stdout
    assert "NOT_COUNTERSIGNED" in out.stdout


def test_reviewer_key_list_names_the_matching_key(kit, ledger_dir, files, tmp_path):
    ledger = genuine(kit, ledger_dir)
    listing = tmp_path / "reviewers.txt"
    listing.write_text(
        "# known reviewers\n\n"
        f"{raw_public(FRESH).hex()}  Somebody Else\n"
        f"{raw_public(kit.reviewer).hex().upper()}\tAda Reviewer (Agency)\n",
        encoding="utf-8",
    )
    code, doc = verify_json(ledger.path, "--trust", files["trust"], "--reviewer-keys", listing)
    assert code == 0
    cs = countersign_of(doc)
    assert (cs["anchor"], cs["known_as"]) == ("known", "Ada Reviewer (Agency)")
    assert [k["name"] for k in doc["reviewer_keys"]] == ["Somebody Else", "Ada Reviewer (Agency)"]


def test_reviewer_key_list_may_name_key_files_relative_to_itself(kit, ledger_dir, files):
    ledger = genuine(kit, ledger_dir)
    listing = files["reviewer"].parent / "reviewers.txt"
    listing.write_text(f"{files['reviewer'].name}\n", encoding="utf-8")
    code, doc = verify_json(ledger.path, "--trust", files["trust"], "--reviewer-keys", listing)
    assert code == 0 and countersign_of(doc)["known_as"] == "ada.pub"


def test_a_countersignature_that_does_not_verify_is_never_called_a_match(kit, ledger_dir, files):
    from tests.ledgerkit import body_of, forge

    ledger = genuine(kit, ledger_dir)
    seal = ledger.head.seq
    payload = dict(body_of(ledger.path, seal).payload)
    cs = payload["countersign"]
    payload["countersign"] = {**cs, "sig": ("0" if cs["sig"][0] != "0" else "1") + cs["sig"][1:]}
    forge(ledger.path, seal, kit.signer_of(ledger.path, seal), payload=payload)
    out = run("verify", ledger.path, "--trust", files["trust"], "--reviewer-key", files["reviewer"])
    assert out.returncode == 1 and "COUNTERSIGN" in out.stdout
    line = next(x for x in out.stdout.splitlines() if x.startswith("  countersign "))
    assert "does NOT verify" in line


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no reviewer keys"),
        (b"# only a comment\n\n", "no reviewer keys"),
        (b"abc123 Ada\n", "line 1: expected KEY [NAME]"),
        (b"# fine\n" + b"ab" * 31 + b" too short\n", "line 2: expected KEY [NAME]"),
        (b"\xff\xfe\x00k\n", "not UTF-8"),
        (("aa" * 32 + " Ada\x1b]52;c;SGk=\x07\n").encode(), "line 1: holds a control"),
        (("aa" * 32 + " Ada\n" + "AA" * 32 + " Ada again\n").encode(), "already on line 1"),
        (("aa" * 32 + " " + "x" * 300 + "\n").encode(), "name is over"),
        (b"x" * (1024 * 1024 + 1), "over 1048576 bytes"),
        (b"\x00" * 64, "line 1: holds a control"),
    ],
    ids=[
        "empty",
        "comments",
        "not-hex",
        "short-hex",
        "not-utf8",
        "escape",
        "duplicate",
        "long-name",
        "huge",
        "binary",
    ],
)
def test_a_malformed_reviewer_key_list_is_a_usage_error(tmp_path, files, content, message):
    listing = tmp_path / "reviewers.txt"
    listing.write_bytes(content)
    (d := tmp_path / "none").mkdir()
    out = run("verify", d, "--trust", files["trust"], "--reviewer-keys", listing)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == "" and "\x1b" not in out.stderr


def test_a_fifo_as_the_reviewer_key_list_is_refused_without_waiting(tmp_path, files):
    import os

    fifo = tmp_path / "reviewers.txt"
    os.mkfifo(fifo)
    (d := tmp_path / "none").mkdir()
    out = run("verify", d, "--trust", files["trust"], "--reviewer-keys", fifo, timeout=20)
    assert out.returncode == 2 and "not a regular file" in out.stderr


@pytest.mark.parametrize("what", ["missing", "garbage", "private", "directory"])
def test_an_unreadable_reviewer_key_is_a_usage_error(kit, ledger_dir, tmp_path, files, what):
    ledger = genuine(kit, ledger_dir)
    path = tmp_path / "key"
    if what == "garbage":
        path.write_bytes(b"\x00garbage")
    elif what == "private":
        from cleanroom.ledger.keys import Role, write_private_key

        write_private_key(path, kit.reviewer, role=Role.REVIEWER)
    elif what == "directory":
        path.mkdir()
    out = run("verify", ledger.path, "--trust", files["trust"], "--reviewer-key", path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert str(path) in out.stderr  # the message names the file
    assert "Traceback" not in out.stderr and out.stdout == ""


@pytest.mark.parametrize(
    ("countersign", "expected"),
    [
        (None, "not countersigned"),
        ({"key": "ab" * 32, "sig": "00" * 64}, "countersigned by key " + key_id(bytes(32 * [171]))),
        ({"key": "\x1b]52;c;SGk=\x07", "sig": ""}, "countersigned by an unreadable key"),
        ("garbage", "countersigned by an unreadable key"),
    ],
)
def test_a_report_names_the_countersigning_key_and_that_it_was_not_checked(countersign, expected):
    """`report` and `replay` describe the seal without known reviewer keys: they name the
    key and never let "countersigned" pass for a checked claim."""
    from cleanroom.forensics.describe import describe
    from cleanroom.forensics.timeline import TimelineEntry

    payload = {"reason": "reviewer", "entries": 1, "by_kind": {}, "countersign": countersign}
    text = describe(TimelineEntry(1, "session_end", 0, 0, b"", payload))
    assert expected in text and "\x1b" not in text
    if countersign is not None:
        assert "not checked" in text or "unreadable" in text
