"""Notes through the recorder (docs/protocol.md §4, `note_save`, `note_withdraw`,
`notes`): a hostile terminal's notes are refused and recorded; an honest one's
are recorded before they are answered; the reviewer app, as the terminal of
`cleanroom recorder` in its own process, writes a note, and the next session
lists it among the earlier ones."""

from __future__ import annotations

import re
import shutil

import pytest

from cleanroom.notes.model import Draft, NoteError, Place
from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.notes_editor import NoteEditorScreen
from cleanroom.tui.notes_pane import NotesScreen
from tests import recorderkit
from tests.recorderkit import RawClient
from tests.recorderproc import build_room

SIZE = (120, 40)


def save(path=b"src/long.py", blob="", note="", first=1, last=1, **kw) -> m.NoteSave:
    fields = dict(note=note, kind="finding", severity="low", title="t", body="b", path=path,
                  blob=blob, first=first, last=last)  # fmt: skip
    fields.update(kw)
    return m.NoteSave(**fields)


@pytest.fixture
def running(kit, ledger_dir):
    r = recorderkit.start(kit, ledger_dir)
    yield r
    recorderkit.cleanup(r)


def opened(client: RawClient, path=b"src/long.py") -> m.Opened:
    client.hello()
    answer = client.ask(m.Tree(path=b""))
    assert isinstance(answer, m.Listing)
    answer = client.ask(m.Open(path=path))
    assert isinstance(answer, m.Opened), answer
    return answer


def refusals(running) -> list[tuple[str, str]]:
    return [(e.payload["request"], e.payload["reason"]) for e in running.entries()
            if e.kind == "refused"]  # fmt: skip


def test_notes_are_recorded_before_they_are_answered(running):
    client = RawClient(running.socket)
    facts = opened(client)
    answer = client.ask(save(blob=facts.blob, first=10, last=20, title=" spaced "))
    assert isinstance(answer, m.Noted) and answer.version == 1
    entry = running.entries()[answer.seq]
    assert entry.kind == "note" and entry.payload["note"] == answer.note
    p = entry.payload
    assert (p["first"], p["last"], p["title"]) == (10, 20, "spaced")
    # An edit names the note; the place sent is ignored, the note's own is kept.
    edited = client.ask(save(note=answer.note, path=b"README.md", blob="0" * 64, title="two"))
    assert isinstance(edited, m.Noted) and edited.version == 2
    again = running.entries()[edited.seq].payload
    assert (again["path"], again["first"], again["title"]) == ("src/long.py", 10, "two")
    # each version's nonce is the recorder's own, 128 fresh bits (ADR 0409): the
    # terminal sends none, and a hash of the note confirms no guess of its text
    nonces = [p.get("nonce"), again.get("nonce")]
    assert all(isinstance(x, str) and re.fullmatch("[0-9a-f]{32}", x) for x in nonces)
    assert nonces[0] != nonces[1]
    gone = client.ask(m.NoteWithdraw(note=answer.note))
    assert isinstance(gone, m.Noted) and gone.version == 2
    assert running.entries()[gone.seq].kind == "note_withdraw"
    page = client.ask(m.Notes())
    assert isinstance(page, m.NotePage) and page.total == 1 and page.items[0].withdrawn
    client.close()


@pytest.mark.parametrize(
    ("request_of", "reason"),
    [
        (lambda f: save(path=b"README.md", blob=f.blob), "order"),  # not the file opened
        (lambda f: save(blob=f.blob, first=4990, last=5001), "invalid"),  # past its lines
        (lambda f: save(blob=f.blob, title="   "), "invalid"),
        (lambda f: save(blob=f.blob, title="a\nb"), "invalid"),
        (lambda f: save(blob=f.blob, kind="finding", severity="urgent"), "invalid"),
        (lambda f: save(blob=f.blob, body="€" * 5462), "invalid"),  # 16,386 bytes
        (lambda f: save(blob=f.blob, note="a" * 32), "invalid"),  # no such note
        (lambda f: m.NoteWithdraw(note="b" * 32), "invalid"),
    ],
)
def test_a_hostile_terminals_notes_are_refused_and_recorded(running, request_of, reason):
    client = RawClient(running.socket)
    facts = opened(client)
    answer = client.ask(request_of(facts))
    assert isinstance(answer, m.Refused) and answer.reason == reason
    assert refusals(running)[-1][1] == reason
    assert "note" not in [e.kind for e in running.entries()]
    client.close()


def test_malformed_notes_never_reach_the_session(running):
    client = RawClient(running.socket)
    facts = opened(client)
    too_long = m.encoder.encode(save(blob=facts.blob)).replace(
        b"\xa1b", b"\xda\x40\x01" + b"x" * 16385
    )
    client.send_raw(too_long)
    answer = client.receive()
    assert isinstance(answer, m.Refused) and answer.reason == "malformed"
    # The tag's key "t" becomes "z": no tag, an unknown field.
    client.send_raw(m.encoder.encode(save(blob=facts.blob)).replace(b"\xa1t", b"\xa1z"))
    assert client.receive().reason == "malformed"
    assert client.ask(m.NoteWithdraw(note="a" * 32)).reason == "invalid"  # still served
    assert "note" not in [e.kind for e in running.entries()]
    client.close()


def test_no_note_behind_a_lock(running):
    client = RawClient(running.socket)
    facts = opened(client)
    assert isinstance(client.ask(m.Idle(after_s=300)), m.Ok)
    answer = client.ask(save(blob=facts.blob))
    assert isinstance(answer, m.Refused) and answer.reason == "locked"
    assert isinstance(client.ask(m.Notes()), m.Refused)
    client.close()


def test_a_recording_failure_is_answered_failed_and_nothing_is_kept(running):
    client = RawClient(running.socket)
    facts = opened(client)
    running.disks[-1].full = True
    answer = client.ask(save(blob=facts.blob))
    assert isinstance(answer, m.Failed) and "full" in answer.why
    running.disks[-1].full = False
    page = client.ask(m.Notes())
    assert isinstance(page, m.NotePage) and page.total == 0
    client.close()


@pytest.fixture
def room():
    built = build_room()
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


async def until(pilot, check, tries=200):
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


async def test_the_terminal_of_a_real_recorder_writes_a_note_and_the_next_session_lists_it(room):
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py", 40)
        await until(pilot, lambda: app.opened is not None)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, NoteEditorScreen)
        for key in "remote":
            await pilot.press(key)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NoteEditorScreen))
        notes = [e.payload for e in room.entries() if e.kind == "note"]
        got = [(n["title"], n["first"], n["path"]) for n in notes]
        assert got == [("remote", 40, "src/long.py")]
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, NotesScreen))
        assert len(app.screen.notes) == 1 and app.screen.notes[0].id == notes[0]["note"]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: app.receipt is not None)
    service.close()
    room.stop()  # a new recorder: the next session reads the earlier ledgers at its start
    room.start()
    second = RemoteService(room.socket)
    listing = second.notes()
    assert listing.current == [] and [n.draft.title for n in listing.earlier] == ["remote"]
    earlier = listing.earlier[0]
    assert earlier.session and earlier.place.first == 40 and earlier.id == notes[0]["note"]
    with pytest.raises(NoteError):  # an earlier session's note is not this session's to edit
        second.save_note(Draft("remark", "", "x", "", Place(b"src/long.py", "0" * 64)),
                         earlier.id)  # fmt: skip
    second.close()
