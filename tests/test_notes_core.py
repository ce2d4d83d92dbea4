"""The note model, a session's notes, and earlier sessions' notes read back from
their ledgers (cleanroom/notes): the limits docs/events.md gives, at and just
past each edge, and ledgers that lie. Real ledgers, real keys."""

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from cleanroom.ledger.events import Event, SnapshotRef
from cleanroom.notes.book import NoteBook
from cleanroom.notes.earlier import earlier_notes, notes_in
from cleanroom.notes.model import MAX_BODY, MAX_TITLE, Draft, NoteError, Place, check
from cleanroom.session.events import Note as NoteEntry
from cleanroom.session.events import NoteWithdraw
from tests import hostile_sqlite
from tests.ledgerkit import Kit

BLOB = "ab" * 32
SNAP = SnapshotRef("snap-1", "00" * 32)


def draft(**kw) -> Draft:
    fields = dict(kind="finding", severity="high", title="t", body="b",
                  place=Place(b"src/a.c", BLOB, 3, 5))  # fmt: skip
    fields.update(kw)
    return Draft(**fields)


# -- the model's limits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "needs a title"),
        ({"title": " \t "}, "needs a title"),
        ({"title": "x" * (MAX_TITLE + 1)}, "201 characters"),
        ({"title": "two\nlines"}, "one line"),
        ({"body": "x" * (MAX_BODY + 1)}, "16,385 bytes"),
        ({"body": "€" * 5462}, "16,386 bytes"),  # 3 bytes each: characters are not bytes
        ({"body": "\ud800"}, "not valid Unicode"),
        ({"kind": "bug"}, "kind must be one of"),
        ({"severity": ""}, "needs a severity"),
        ({"severity": "urgent"}, "needs a severity"),
        ({"place": Place(b"", BLOB, 1, 1)}, "path"),
        ({"place": Place(b"a" * 4097, BLOB, 1, 1)}, "path"),
        ({"place": Place(b"a", "AB" * 32, 1, 1)}, "content hash"),
        ({"place": Place(b"a", BLOB, 5, 3)}, "not lines"),
        ({"place": Place(b"a", BLOB, 0, 3)}, "not lines"),
        ({"place": Place(b"a", BLOB, 3, 0)}, "not lines"),
        ({"place": Place(b"a", BLOB, -1, -1)}, "not lines"),
        ({"place": Place(b"a", BLOB, 10, 11)}, "not lines of the file (1-10)"),
    ],
)
def test_each_limit_is_refused_with_a_clear_message(changes, message):
    with pytest.raises(NoteError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check(draft(**changes), lines=10)


def test_at_the_limits_a_note_passes():
    d = check(draft(title=" " + "t" * MAX_TITLE + " ", body="x" * MAX_BODY), lines=5)
    assert d.title == "t" * MAX_TITLE and len(d.body) == MAX_BODY
    assert check(draft(body="")).body == ""  # a title alone is a note
    assert check(draft(body="no newline at the end")).body == "no newline at the end"
    one_line_file = check(draft(place=Place(b"a", BLOB, 1, 1)), lines=0)
    assert one_line_file.place.first == 1  # an empty file still has line 1 to point at
    assert check(draft(place=Place(b"\xff\xfe", BLOB, 0, 0)), lines=0).place.whole_file


def test_a_question_or_remark_carries_no_severity():
    assert check(draft(kind="question", severity="high")).severity == ""
    assert check(draft(kind="remark", severity="")).severity == ""


def test_control_and_bidi_characters_are_kept_exactly():
    text = "a\u202eb\x1b[2J\x00c"
    d = check(draft(title=text, body=text))
    assert d.title == text and d.body == text  # shown as tags, recorded as written


# -- the session's book --------------------------------------------------------------


def test_versions_follow_and_a_withdrawn_note_cannot_change():
    book = NoteBook()
    first = book.next_save(draft())
    assert first.version == 1 and len(first.id) == 32
    assert book.current() == []  # nothing is kept until the caller says it is recorded
    with pytest.raises(NoteError, match="no such note"):
        book.next_save(draft(), first.id)
    book.saved(first)
    moved = draft(place=Place(b"elsewhere", BLOB, 1, 1), title="edited")
    second = book.next_save(moved, first.id)
    assert (second.id, second.version, second.place) == (first.id, 2, first.place)
    book.saved(second)
    gone = book.next_withdraw(first.id)
    assert gone.version == 2 and gone.withdrawn
    book.saved(gone)
    assert book.current() == [] and book.withdrawn() == [gone]
    with pytest.raises(NoteError, match="withdrawn"):
        book.next_save(draft(), first.id)
    with pytest.raises(NoteError, match="withdrawn"):
        book.next_withdraw(first.id)


def test_ids_are_random():
    book = NoteBook()
    ids = {book.next_save(draft()).id for _ in range(200)}
    assert len(ids) == 200


# -- earlier sessions' notes -----------------------------------------------------------


@dataclass(frozen=True)
class RawNote(Event):
    """A `note` entry with whatever payload a hostile writer chose."""

    kind: ClassVar[str] = "note"
    fields: dict

    def payload(self):
        return dict(self.fields)


def note_payload(note_id: str, version: int, **kw) -> dict:
    p = {"path": "src/a.c", "note": note_id, "version": version, "note_kind": "remark",
         "severity": "", "title": f"v{version}", "body": "b", "blob": BLOB, "first": 1,
         "last": 2}  # fmt: skip
    p.update(kw)
    return p


def ledger_with(tmp_path: Path, name: str, events: list, snapshot=SNAP) -> Path:
    kit = Kit(name)
    (tmp_path / name).mkdir()
    ledger = kit.new_ledger(tmp_path / name, snapshot=snapshot)
    for event in events:
        ledger.append(event)
    ledger.seal("reviewer")
    return ledger.path


def test_an_earlier_ledgers_notes_fold_to_their_last_versions(tmp_path):
    a, b = "a" * 32, "b" * 32
    path = ledger_with(tmp_path, "one", [
        NoteEntry(b"src/a.c", a, 1, "finding", "low", "first", "x", BLOB, 1, 2),
        NoteEntry(b"src/a.c", a, 2, "finding", "high", "second", "y", BLOB, 1, 2),
        NoteEntry(b"\xffbin", b, 1, "remark", "", "binary name", "", BLOB, 0, 0),
        NoteWithdraw(b, 1),
    ])  # fmt: skip
    notes = {n.id: n for n in notes_in(path, "snap-1")}
    assert notes[a].version == 2 and notes[a].draft.title == "second" and not notes[a].withdrawn
    assert notes[b].withdrawn and notes[b].place.path == b"\xffbin"
    assert notes[a].reviewer == "Ada Reviewer" and len(notes[a].session) == 32
    assert notes_in(path, "another snapshot") == []


def test_lies_in_an_earlier_ledger_are_skipped(tmp_path):
    good = "c" * 32
    path = ledger_with(tmp_path, "liar", [
        RawNote(note_payload("nothex" * 6, 1)),  # not an id
        RawNote(note_payload(good, 1)),
        RawNote(note_payload(good, 1, title="same version again")),  # not a later version
        RawNote(note_payload(good, "2")),  # a string version
        RawNote(note_payload(good, True)),  # a bool is not a version
        RawNote(note_payload(good, 3, title="x" * 201)),  # past the limit
        RawNote(note_payload(good, 4, note_kind="bug")),
        RawNote(note_payload(good, 5, first=9, last=1)),
        RawNote(note_payload(good, 6, blob=None)),
        RawNote({"note": "d" * 32, "version": 1}),  # fields missing
        RawNote(note_payload("e" * 32, 1, path=None, path_b64="!!not base64")),
        RawNote(note_payload("f" * 32, 1, title=["not", "a", "string"])),
    ])  # fmt: skip
    notes = notes_in(path, "snap-1")
    assert [(n.id, n.version, n.draft.title) for n in notes] == [(good, 1, "v1")]


def test_hostile_files_never_raise(tmp_path):
    real = ledger_with(tmp_path, "real", [NoteEntry(b"a", "a" * 32, 1, "remark", "", "kept",
                                                    "", BLOB, 0, 0)])  # fmt: skip
    junk = tmp_path / "junk.ledger"
    junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    empty = tmp_path / "empty.ledger"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.ledger"
    truncated.write_bytes(real.read_bytes()[:3000])
    rows = hostile_sqlite.many_bad_rows(tmp_path / "rows.ledger", rows=2000)
    directory = tmp_path / "a-directory.ledger"
    directory.mkdir()
    link = tmp_path / "link.ledger"
    link.symlink_to("/dev/zero")
    missing = tmp_path / "missing.ledger"
    paths = [junk, empty, truncated, rows, directory, link, missing, real]
    notes = earlier_notes(paths, "snap-1")
    assert [n.draft.title for n in notes] == ["kept"]


def test_no_snapshot_named_means_no_notes(tmp_path):
    entry = NoteEntry(b"a", "a" * 32, 1, "remark", "", "t", "", BLOB, 0, 0)
    path = ledger_with(tmp_path, "nosnap", [entry], snapshot=None)
    assert earlier_notes([path], "snap-1") == []


def test_earlier_notes_are_capped(tmp_path, monkeypatch):
    from cleanroom.notes import earlier

    monkeypatch.setattr(earlier, "MAX_EARLIER", 2)
    events = [NoteEntry(b"a", f"{i:032x}", 1, "remark", "", f"n{i}", "", BLOB, 0, 0)
              for i in range(3)]  # fmt: skip
    path = ledger_with(tmp_path, "many", events)
    assert [n.draft.title for n in earlier.earlier_notes([path, path], "snap-1")] == ["n0", "n1"]


def test_a_resumed_sessions_notes_are_its_own_again(tmp_path):
    a = "a" * 32
    entry = NoteEntry(b"src/a.c", a, 1, "question", "", "before the crash", "", BLOB, 1, 1)
    path = ledger_with(tmp_path, "resumed", [entry])
    book = NoteBook()
    book.resume(notes_in(path, "snap-1"))
    (note,) = book.current()
    assert note.session == "" and note.version == 1
    edited = book.next_save(draft(kind="remark", title="after"), a)
    assert edited.version == 2 and edited.place == note.place
