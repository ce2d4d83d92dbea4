"""A note is its own session's (outside attack atk14f, HIGH 2; ADR 0308): another
session's ledger cannot rewrite or withdraw it in the report, `notes check` or a
release; such an entry is flagged (NOTE_FOREIGN) and never applied. Also: the
Notes table tells twin paths apart and gives `path_b64` (MEDIUM 4), is bounded
with a cut row (MEDIUM 3), and a note that does not fit is counted and flagged,
never dropped silently (LOW 9). Real ledgers, keys and snapshot; no mocks."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics import html_budget
from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, Note, NoteWithdraw
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit

A, FF, FE = b"src/a.c", b"src/x\xff.c", b"src/x\xfe.c"
FILES = {A: b"int a;\n" * 20, FF: b"int xff;\n" * 5, FE: b"int xfe;\n" * 5}
ADA_NOTE = "0123456789abcdef0123456789abcdef"


class Site:
    def __init__(self, root):
        self.root, self.kit = root, Kit("notes-owned")
        self.snap = make_snapshot(self.kit, root / "snap", files=FILES)
        self.trust = trust_file(self.kit, root)
        with Snapshot.open(self.snap, self.kit.trust) as s:
            self.ref = SnapshotRef(s.id, s.manifest.root)
            self.blob = {p: s.stat(p).blob.hex() for p in FILES}

    def note(self, note_id=ADA_NOTE, version=1, title="strcpy overflow", path=A, kind="finding"):
        sev = "high" if kind == "finding" else ""
        return Note(path, note_id, version, kind, sev, title, "body", self.blob[path], 2, 3)

    def session(self, name, who, events, prev=None, seal=True):
        d = self.root / "ledgers"
        d.mkdir(exist_ok=True)
        led = Ledger.create(d, self.kit.workstation, replace(self.kit.reviewer_ref(), name=who),
                            self.ref, prev, clock=self.kit.clock, keygen=self.kit.keys,
                            ledger_id=hashlib.sha256(name.encode()).digest()[:16])  # fmt: skip
        led.append(FileOpen(A, self.blob[A], len(FILES[A]), 20))
        for event in events:
            led.append(event)
        if seal:
            led.seal(countersigner=self.kit.reviewer)
        else:
            led.close()  # as a crash leaves it, to be resumed
        return led

    def report(self, suffix="json"):
        out = self.root / f"r.{suffix}"
        args = ["report", str(self.root / "ledgers"), "--snapshot", str(self.snap),
                "--trust", str(self.trust), "-o", str(out)]  # fmt: skip
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        return result.exit_code, out.read_text(encoding="utf-8")

    def check(self):
        args = ["notes", "check", str(self.root / "ledgers"), "--snapshot", str(self.snap),
                "--trust", str(self.trust), "--no-cache", "--json"]  # fmt: skip
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        return result.exit_code, json.loads(result.stdout)


def _codes(report: dict) -> list[str]:
    return sorted(f["code"] for f in report["sessions"])


@pytest.mark.parametrize("forgery", ["edit", "withdraw", "edit then withdraw", "same version"])
def test_another_session_cannot_edit_or_withdraw_a_note(tmp_path, forgery):
    site = Site(tmp_path)
    ada = site.session("ada", "Ada", [site.note()])
    bob_events = {
        "edit": [site.note(version=2, title="nothing to see", kind="remark")],
        "withdraw": [NoteWithdraw(ADA_NOTE, 1)],
        "edit then withdraw": [
            site.note(version=2, title="nothing to see", kind="remark"),
            NoteWithdraw(ADA_NOTE, 2),
        ],  # fmt: skip
        "same version": [site.note(version=1, title="nothing to see", kind="remark")],
    }[forgery]
    # Bob's ledger sorts first by name (its id), so it is read first.
    site.session("0bob", "Bob", bob_events, prev=ada.head)
    code, text = site.report()
    report = json.loads(text)
    assert code == 1, "a genuine terminal never writes this: the set is flagged"
    (note,) = report["notes"]
    assert (note["reviewer"], note["title"], note["version"]) == ("Ada", "strcpy overflow", 1)
    assert note["withdrawn"] is False and note["note_kind"] == "finding"
    assert _codes(report) == ["NOTE_FOREIGN"]
    skipped = report["notes_skipped"]
    assert len(skipped) == len(bob_events) and {s["code"] for s in skipped} == {"NOTE_FOREIGN"}
    for suffix in ("html", "csv", "jsonl"):
        code, out = site.report(suffix)
        assert code == 1 and "NOTE_FOREIGN" in out, suffix
        if suffix == "html":
            notes = out.split('<section id="notes">')[1].split("</section>")[0]
            assert "strcpy overflow" in notes and "nothing to see" not in notes
            assert "(withdrawn)" not in notes
    # notes check (and so a release, built from it) holds Ada's note, as she wrote it.
    code, checked = site.check()
    assert code == 1
    assert [(n["title"], n["withdrawn"]) for n in checked["notes"]] == [("strcpy overflow", False)]
    assert len(checked["skipped"]) == len(bob_events)


def test_a_session_edits_and_withdraws_its_own_notes_even_after_a_resume(tmp_path):
    site = Site(tmp_path)
    ada = site.session("ada", "Ada", [site.note(), site.note(version=2, title="v2")], seal=False)
    path = ada.path
    resumed = Ledger.resume(path, site.kit.workstation, "crash", clock=site.kit.clock,
                            keygen=site.kit.keys)  # fmt: skip
    resumed.append(site.note(version=3, title="v3"))
    resumed.append(NoteWithdraw(ADA_NOTE, 3))
    resumed.close()
    site.session("bob", "Bob", [site.note(note_id="b" * 32, title="bob's own")])
    code, text = site.report()
    report = json.loads(text)
    notes = {n["note"]: n for n in report["notes"]}
    assert (notes[ADA_NOTE]["title"], notes[ADA_NOTE]["withdrawn"]) == ("v3", True)
    assert notes["b" * 32]["reviewer"] == "Bob"
    assert "NOTE_FOREIGN" not in _codes(report) and report["notes_skipped"] == []


def test_twin_paths_look_different_and_carry_their_bytes(tmp_path):
    site = Site(tmp_path)
    site.session("ada", "Ada", [site.note("1" * 32, path=FF), site.note("2" * 32, path=FE)])
    _, text = site.report()
    by_id = {n["note"]: n for n in json.loads(text)["notes"]}
    assert base64.b64decode(by_id["1" * 32]["path_b64"]) == FF
    assert base64.b64decode(by_id["2" * 32]["path_b64"]) == FE
    _, page = site.report("html")
    notes = page.split('<section id="notes">')[1].split("</section>")[0]
    cells = re.findall(r"<td>(src/x[^<]*?):2-3", notes)
    assert len(cells) == 2 and len(set(cells)) == 2, cells
    assert "\ufffd" not in notes


def test_a_note_that_does_not_fit_is_counted_and_flagged(tmp_path):
    site = Site(tmp_path)
    site.session("ada", "Ada", [site.note(), site.note("c" * 32, kind="comment")])
    code, text = site.report()
    report = json.loads(text)
    assert [n["note"] for n in report["notes"]] == [ADA_NOTE]
    assert _codes(report) == ["NOTE_SKIPPED"] and code == 0  # a warning
    (skipped,) = report["notes_skipped"]
    assert skipped["why"] == "unknown note_kind" and skipped["code"] == "NOTE_SKIPPED"
    _, page = site.report("html")
    assert "1 note entries left out" in page.split('<section id="notes">')[1]


def test_the_notes_table_is_cut_at_its_bound(tmp_path, monkeypatch):
    site = Site(tmp_path)
    site.session("ada", "Ada", [site.note(f"{i:032x}", title="\x1b" * 100) for i in range(12)])
    _, whole = site.report("html")
    assert 'class="cut"' not in whole.split('<section id="notes">')[1].split("</section>")[0]
    monkeypatch.setattr(html_budget, "NOTES_BYTES", 3_000)
    _, page = site.report("html")
    notes = page.split('<section id="notes">')[1].split("</section>")[0]
    rows = notes.count("<tr><td>")
    assert 0 < rows < 12 and len(notes.encode()) < 6_000
    assert f"{12 - rows:,} more notes not shown here" in notes and "JSON report" in notes
    monkeypatch.setattr(html_budget, "NOTES_BYTES", 10**9)
    monkeypatch.setattr(html_budget, "NOTES_ROWS", 5)
    _, page = site.report("html")
    assert "7 more notes not shown here" in page
    assert len(json.loads(site.report()[1])["notes"]) == 12  # the JSON keeps every one
