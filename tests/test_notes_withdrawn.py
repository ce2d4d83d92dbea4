"""A withdrawn note never leaves the room (docs/notes-release.md): not by a decisions
file naming it, not by a stale edit after the withdrawal, not by a withdrawal
recorded in a later session's ledger for its own note, and not through a release signed by the
vendor key that says it leaves: such a release does not verify, so nothing is
exported from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.release.document import sign_release
from tests.ledgerkit import Kit
from tests.noteskit import (
    DESCRIBES,
    NoteWithdraw,
    ledger_with,
    name_of,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    published_payload,
    setup,
)

ID = [f"{n:032x}" for n in range(5)]
SECRETS = ["withdrawn plainly", "stale edit after the withdrawal", "withdrawn next session"]
FOREIGN = "withdrawn by another session"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Kit, dict[str, Path]]:
    """Note 1 kept; 2 withdrawn; 3 withdrawn at v1, then a stale v2; 4 written and
    withdrawn in the second session (a session withdraws only its own notes)."""
    kit = Kit("nw")
    tmp = tmp_path_factory.mktemp("withdrawn")
    first = [
        note(1, DESCRIBES),
        note(2, SECRETS[0]),
        NoteWithdraw(ID[2], 1),
        note(3, "first words"),
        NoteWithdraw(ID[3], 1),
        note(3, SECRETS[1], version=2),
    ]
    files = setup(kit, tmp, first)
    later = [note(4, SECRETS[2]), NoteWithdraw(ID[4], 1)]
    files["later"] = ledger_with(kit, tmp / "later", later, prev=files["ledger"])
    return kit, files


def release_with(files: dict, tmp: Path, decisions: list[dict]) -> tuple[object, Path]:
    dec = tmp / "decisions.json"
    dec.write_text(json.dumps({"decisions": decisions}))
    out = tmp / "r.release"
    args = ["notes", "release", str(files["ledger"]), str(files["later"])]
    args += ["--snapshot", str(files["snapshot"]), "--trust", str(files["trust"])]
    args += ["--vendor-key", str(files["vendor_key"]), "--decisions", str(dec)]
    args += ["--released-by", "V", "--org", "O", "-o", str(out)]
    return CliRunner().invoke(main, args), out


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("decision", ["release", "redact"])
def test_a_decision_to_let_a_withdrawn_note_leave_is_refused(written, tmp_path, n, decision):
    _, files = written
    d = {"note": ID[n], "decision": decision}
    if decision == "redact":
        d["body"] = "a harmless replacement"
    result, out = release_with(files, tmp_path, [{"note": ID[1], "decision": "release"}, d])
    assert result.exit_code == 2, result.output
    assert "withdrawn" in result.output and not out.exists()


def _released(files: dict, tmp: Path) -> Path:
    result, out = release_with(files, tmp, [{"note": ID[1], "decision": "release"}])
    assert result.exit_code == 0, result.output
    return out


def test_withdrawn_notes_are_withheld_and_exports_hold_none_of_them(written, tmp_path):
    _, files = written
    out = _released(files, tmp_path)
    notes = {n["note"]: n for n in json.loads(out.read_bytes())["release"]["notes"]}
    for n in (2, 3, 4):
        assert notes[ID[n]]["withdrawn"] and notes[ID[n]]["decision"] == "withhold"
        assert "body" not in notes[ID[n]] and "path" not in notes[ID[n]]
    assert notes[ID[1]]["decision"] == "release" and not notes[ID[1]]["withdrawn"]
    for suffix in (".sarif", ".md", ".json"):
        target = tmp_path / f"findings{suffix}"
        args = ["notes", "export", str(out), "--trust", str(files["trust"]), "-o", str(target)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        text = target.read_text()
        assert "reserve function" in text  # note 1 left
        assert not [s for s in SECRETS if s in text]
        assert not [i for i in ID[2:] if i in text]


@pytest.mark.parametrize("flag", [True, False])
def test_a_signed_release_that_lets_a_withdrawn_note_leave_exports_nothing(written, tmp_path, flag):
    """Signed with the trusted vendor key, so only the format checks stand between it
    and the exports. With `withdrawn` left true, the shape check refuses it; set
    false, the withheld version's hash no longer names the text the release gives
    (RELEASE_VERSION_HASH, ADR 0409). A signer who also puts the hash of the text it
    gives has lied in a signed statement the ledgers contradict (`cleanroom report
    --release` compares them): the export cannot know."""
    kit, files = written
    data = json.loads(_released(files, tmp_path).read_bytes())
    release = data["release"]
    leaving = next(n for n in release["notes"] if n["note"] == ID[1])
    gone = next(n for n in release["notes"] if n["note"] == ID[2])
    gone.update({k: v for k, v in leaving.items() if k not in gone or k == "decision"})
    gone.update(body=SECRETS[0], withdrawn=flag)
    forged = tmp_path / "forged.release"
    forged.write_bytes(sign_release(release, kit.vendor))
    verdict = CliRunner().invoke(
        main, ["notes", "verify", str(forged), "--trust", str(files["trust"])]
    )
    if not flag:
        assert verdict.exit_code == 1 and "RELEASE_VERSION_HASH" in verdict.output
        gone["version_hash"] = name_of(published_payload(gone))
        forged.write_bytes(sign_release(release, kit.vendor))
        verdict = CliRunner().invoke(
            main, ["notes", "verify", str(forged), "--trust", str(files["trust"])]
        )
        assert verdict.exit_code == 0  # the signer's word; see the docstring
        return
    assert verdict.exit_code == 1 and "RELEASE_FORMAT" in verdict.output
    for suffix in (".sarif", ".md", ".json"):
        target = tmp_path / f"x{suffix}"
        args = ["notes", "export", str(forged), "--trust", str(files["trust"]), "-o", str(target)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and not target.exists()


def test_a_release_is_refused_when_a_session_withdraws_another_sessions_note(tmp_path):
    """A genuine terminal never withdraws an earlier session's note (docs/notes.md):
    such an entry is not applied, and it is NOTE_FOREIGN, which makes the set
    TAMPERED, so nothing is released from it (ADR 0308)."""
    kit = Kit("nw-foreign")
    files = setup(kit, tmp_path, [note(1, FOREIGN)])
    files["later"] = ledger_with(kit, tmp_path / "later", [NoteWithdraw(ID[1], 1)],
                                 prev=files["ledger"])  # fmt: skip
    result, out = release_with(files, tmp_path, [{"note": ID[1], "decision": "release"}])
    assert result.exit_code == 1 and not out.exists()
    assert "NOTE_FOREIGN" in result.output and "refused" in result.output
