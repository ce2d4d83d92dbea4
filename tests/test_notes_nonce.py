"""Each recorded note version carries a random nonce (ADR 0409), so its version_hash
confirms no guess of a redacted or withheld note's text. These try to get round it:
a forged or missing nonce in a ledger, a redaction of a note recorded before nonces,
and a signed release whose nonces or hashes do not fit what it publishes.

Real ledgers (tests/noteskit.py), a real signed snapshot, a real vendor key and the
real `cleanroom notes check|release|verify` commands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.release.document import sign_release
from cleanroom.session.events import Note
from tests.ledgerkit import Kit
from tests.noteskit import (
    DESCRIBES,
    name_of,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    published_payload,
    setup,
)

ID = [f"{n:032x}" for n in range(4)]


@dataclass(frozen=True)
class SaltedNote(Note):
    """A `note` entry with a field events.md does not define (only a forger writes one)."""

    kind: ClassVar[str] = "note"
    salt: str = "extra"


def check(files: dict) -> dict:
    out = CliRunner().invoke(
        main,
        ["notes", "check", str(files["ledger"]), "--snapshot", str(files["snapshot"]),
         "--trust", str(files["trust"]), "--no-cache", "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def release(files: dict, tmp: Path, decisions: list[dict]) -> tuple[object, Path]:
    dec = tmp / "decisions.json"
    dec.write_text(json.dumps({"decisions": decisions}))
    out = tmp / "r.release"
    args = ["notes", "release", str(files["ledger"]), "--snapshot", str(files["snapshot"])]
    args += ["--trust", str(files["trust"]), "--vendor-key", str(files["vendor_key"])]
    args += ["--decisions", str(dec), "--released-by", "V", "--org", "O", "-o", str(out)]
    return CliRunner().invoke(main, args), out


def verify(files: dict, path: Path) -> object:
    return CliRunner().invoke(main, ["notes", "verify", str(path), "--trust", str(files["trust"])])


@pytest.mark.parametrize(
    "forged, why",
    [
        (note(2, DESCRIBES, nonce="00"), "nonce is not 32"),  # 8 bits: guessable
        (note(2, DESCRIBES, nonce="AB" * 16), "nonce is not 32"),  # not the hex we write
        (note(2, DESCRIBES, nonce=""), "no nonce, after a note"),  # dropped: unsalted
        (SaltedNote(*note(2, DESCRIBES).__dict__.values()), "not exactly a note's"),
    ],
)
def test_a_forged_or_missing_nonce_is_skipped_and_never_leaves(tmp_path, forged, why):
    """Only a forger (the workstation's key) writes these; the check skips each
    (NOTE_SKIPPED), so no decision can name it and nothing of it is released."""
    files = setup(Kit("nonce-forged"), tmp_path, [note(1, DESCRIBES), forged])
    doc = check(files)
    assert [n["note"] for n in doc["notes"]] == [ID[1]]
    assert len(doc["skipped"]) == 1 and why in doc["skipped"][0]["why"]
    result, out = release(files, tmp_path, [{"note": ID[2], "decision": "release"}])
    assert result.exit_code == 2 and "no such note" in result.output and not out.exists()


def test_a_note_without_a_nonce_is_not_redacted(tmp_path):
    """A ledger from before nonces: its notes are read, checked, released and withheld
    as before, but a redaction would publish every field but the text under a hash
    that confirms a guess of the text: refused, and nothing is written."""
    old = [note(1, DESCRIBES, nonce=""), note(2, "a second one", nonce="")]
    files = setup(Kit("nonce-old"), tmp_path, old)
    assert [n["note"] for n in check(files)["notes"]] == [ID[1], ID[2]]
    result, out = release(
        files, tmp_path, [{"note": ID[1], "decision": "redact", "title": "A finding"}]
    )
    assert result.exit_code == 2 and "without a nonce" in result.output and not out.exists()
    result, out = release(files, tmp_path, [{"note": ID[1], "decision": "release"}])
    assert result.exit_code == 0, result.output
    assert f"WARNING: note {ID[2]} is withheld but was recorded without a nonce" in result.output
    assert f"WARNING: note {ID[1]}" not in result.output
    assert verify(files, out).exit_code == 0  # its hash is recomputed without a nonce
    released = json.loads(out.read_bytes())["release"]["notes"][0]
    assert (
        "nonce" not in released and name_of(published_payload(released)) == released["version_hash"]
    )


@pytest.fixture
def signed(tmp_path) -> tuple[Kit, dict, dict]:
    kit = Kit("nonce-release")
    files = setup(kit, tmp_path, [note(1, DESCRIBES), note(2, "two"), note(3, "three")])
    decisions = [
        {"note": ID[1], "decision": "release"},
        {"note": ID[2], "decision": "redact", "body": "(redacted)"},
    ]
    result, out = release(files, tmp_path, decisions)
    assert result.exit_code == 0, result.output
    assert "WARNING" not in result.output  # every note has its nonce
    assert verify(files, out).exit_code == 0
    return kit, files, json.loads(out.read_bytes())["release"]


def resigned(kit: Kit, tmp: Path, body: dict) -> Path:
    path = tmp / "forged.release"
    path.write_bytes(sign_release(body, kit.vendor))
    return path


def test_a_release_publishes_the_nonce_of_released_notes_only(signed):
    _, _, body = signed
    by_id = {n["note"]: n for n in body["notes"]}
    assert len(by_id[ID[1]]["nonce"]) == 32
    assert name_of(published_payload(by_id[ID[1]])) == by_id[ID[1]]["version_hash"]
    assert "nonce" not in by_id[ID[2]] and "nonce" not in by_id[ID[3]]


@pytest.mark.parametrize(
    "change, code",
    [
        (lambda n: n[0].update(nonce="0" * 32), "RELEASE_VERSION_HASH"),  # another nonce
        (lambda n: n[0].pop("nonce"), "RELEASE_VERSION_HASH"),  # the nonce left out
        (lambda n: n[0].update(title="Another title"), "RELEASE_VERSION_HASH"),
        (lambda n: n[0].update(nonce="0" * 31), "RELEASE_FORMAT"),
        (lambda n: n[1].update(nonce="0" * 32), "RELEASE_FORMAT"),  # a redacted one's
        (lambda n: n[2].update(nonce="0" * 32), "RELEASE_FORMAT"),  # a withheld one's
    ],
)
def test_a_signed_release_whose_nonce_or_text_does_not_fit_its_hash_is_refused(
    signed, tmp_path, change, code
):
    """Signed with the trusted key, so only the checks after the signature stand in the
    way: a released note's hash is recomputed from what the release gives of it, and a
    redacted or withheld note may not carry a nonce at all."""
    kit, files, body = signed
    change(body["notes"])
    result = verify(files, resigned(kit, tmp_path, body))
    assert result.exit_code == 1 and code in result.output, result.output


def test_the_interactive_release_does_not_offer_to_redact_a_note_without_a_nonce(tmp_path):
    """`d` is not among the answers for such a note: typed anyway, it is refused and
    asked again; the note with a nonce is offered all three."""
    files = setup(Kit("nonce-ask"), tmp_path, [note(1, DESCRIBES, nonce=""), note(2, "new one")])
    out = tmp_path / "r.release"
    args = ["notes", "release", str(files["ledger"]), "--snapshot", str(files["snapshot"])]
    args += ["--trust", str(files["trust"]), "--vendor-key", str(files["vendor_key"])]
    args += ["--released-by", "V", "--org", "O", "-o", str(out)]
    result = CliRunner().invoke(main, args, input="d\nr\nd\n\nreplaced\n.\n")
    assert result.exit_code == 0, result.output
    assert "cannot be redacted: it was recorded without a nonce" in result.output
    assert "release or withhold? [r/w]" in result.output
    assert "release, withhold or redact? [r/w/d]" in result.output
    notes = {n["note"]: n for n in json.loads(out.read_bytes())["release"]["notes"]}
    assert notes[ID[1]]["decision"] == "release" and "nonce" not in notes[ID[1]]
    assert notes[ID[2]]["decision"] == "redact" and notes[ID[2]]["body"] == "replaced"
    assert verify(files, out).exit_code == 0
