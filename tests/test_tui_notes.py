"""Notes in the reviewer terminal (issue 16): writing, editing, withdrawing, the
notes pane and its jumps, the editor's limits and lockdown, and a recording
failure while saving. Real ledger, real snapshot, real app via Pilot; each
assertion reads the ledger the app wrote."""

from textual import events

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.notes_editor import NoteEditorScreen
from cleanroom.tui.notes_pane import NotesScreen
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (120, 40)


def entries(app, *kinds):
    rows = [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]
    return [e for e in rows if not kinds or e.kind in kinds]


async def opened_at(pilot, path=b"src/long.py", line=1):
    app = pilot.app
    await pilot.press("enter")  # past the start screen
    app.open_path(path, line)
    await pilot.pause()
    app.query_one(CodeView).focus()
    await pilot.pause()


async def type_text(pilot, text):
    for ch in text:
        await pilot.press({" ": "space", "\n": "enter", "-": "minus"}.get(ch, ch))


async def write_note(pilot, title, body="", lines=None, key="a"):
    await pilot.press(key)
    await pilot.pause()
    editor = pilot.app.screen
    assert isinstance(editor, NoteEditorScreen)
    if lines is not None:
        box = editor.query_one("#lines")
        box.value = lines
    await type_text(pilot, title)
    await pilot.press("tab")
    await type_text(pilot, body)
    await pilot.press("ctrl+s")
    await pilot.pause()
    return editor


async def test_a_note_on_the_current_line_is_recorded_before_it_is_said_saved(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot, line=120)
        before = len(entries(app))
        editor = await write_note(pilot, "Hardcoded value", "value 119\nis fixed")
        assert editor.dismissed and not isinstance(app.screen, NoteEditorScreen)
        notes = entries(app, "note")
        assert len(notes) == 1 and len(entries(app)) == before + 1
        p = notes[0].payload
        assert p["path"] == "src/long.py" and (p["first"], p["last"]) == (120, 120)
        assert p["title"] == "Hardcoded value" and p["body"] == "value 119\nis fixed"
        assert p["note_kind"] == "finding" and p["severity"] == "medium" and p["version"] == 1
        assert len(p["note"]) == 32 and int(p["note"], 16) >= 0
        assert p["blob"] == app.opened.blob


async def test_a_line_range_and_the_whole_file(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        await write_note(pilot, "range", lines="10-40")
        await write_note(pilot, "file", key="A")
        p = [e.payload for e in entries(app, "note")]
        assert [(x["first"], x["last"]) for x in p] == [(10, 40), (0, 0)]


async def test_limits_keep_the_editor_open_and_record_nothing(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        before = len(entries(app))
        editor = await write_note(pilot, "   ")  # an empty title
        assert isinstance(app.screen, NoteEditorScreen) and "needs a title" in editor.why
        editor.query_one("#title").value = "t"
        editor.query_one("#body").text = "é" * 8193  # 16,386 bytes of UTF-8
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "16,386 bytes" in editor.why and not editor.dismissed
        editor.query_one("#body").text = "é" * 8192  # exactly 16,384 bytes: the limit
        editor.query_one("#lines").value = "4000-6000"  # past the file's 5000 lines
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "not lines of the file" in editor.why
        assert len(entries(app)) == before  # nothing recorded by any of it
        editor.query_one("#lines").value = "4000-5000"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert editor.dismissed
        assert len(entries(app, "note")[0].payload["body"].encode()) == 16_384


async def test_a_recording_failure_saves_nothing_and_keeps_the_draft(kit, ledger_dir):
    app, disk = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        disk.full = True
        editor = await write_note(pilot, "kept", "every word")
        assert not editor.dismissed and isinstance(app.screen, NoteEditorScreen)
        assert "recording failed" in editor.why and "disk is full" in editor.why
        assert "Not saved" in str(editor.query_one("#why").render())
        assert editor.query_one("#title").value == "kept"
        assert editor.query_one("#body").text == "every word"
        assert app.session.notes.current() == []
        disk.full = False
        app.service.retry()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert editor.dismissed
        assert [e.payload["title"] for e in entries(app, "note")] == ["kept"]


async def test_edit_and_withdraw_from_the_pane(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        await write_note(pilot, "first")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, NotesScreen)
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, NoteEditorScreen) and editor.editing is not None
        await type_text(pilot, " edited")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NotesScreen)  # listed again, with the edit
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        notes = entries(app, "note", "note_withdraw")
        assert [(e.kind, e.payload["version"]) for e in notes] == [
            ("note", 1), ("note", 2), ("note_withdraw", 2)]  # fmt: skip
        assert notes[1].payload["title"] == "first edited"
        assert len({e.payload["note"] for e in notes}) == 1
        assert app.session.notes.current() == []
        assert "[withdrawn]" in str(app.screen.query_one("#list").get_option_at_index(0).prompt)
        await pilot.press("e")  # a withdrawn note cannot be edited
        await pilot.pause()
        assert isinstance(app.screen, NotesScreen)
        assert len(entries(app, "note", "note_withdraw")) == 3


async def test_jumping_to_a_note_is_recorded_like_any_navigation(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot, line=3000)
        await write_note(pilot, "far down")
        app.open_path(b"README.md")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        n = len(entries(app))
        await pilot.press("enter")
        await pilot.pause()
        later = entries(app)[n:]
        assert [e.kind for e in later][:2] == ["file_open", "view"]
        assert later[0].payload["path"] == "src/long.py" and later[1].payload["first"] == 3000
        assert app.query_one(CodeView).viewport().first == 3000
        # Already in the file: a `goto`, then the view.
        app.query_one(CodeView).goto(1)
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        n = len(entries(app))
        await pilot.press("enter")
        await pilot.pause()
        later = entries(app)[n:]
        assert [e.kind for e in later][:2] == ["goto", "view"] and later[0].payload["line"] == 3000


async def test_control_and_bidi_characters_show_as_tags(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        await pilot.press("a")
        await pilot.pause()
        editor = app.screen
        editor.query_one("#title").value = "evil \u202e title \x1b[2J"
        editor.query_one("#body").text = "line \u2066one\nbell \x07"
        await pilot.press("ctrl+s")
        await pilot.pause()
        p = entries(app, "note")[0].payload
        assert p["title"] == "evil \u202e title \x1b[2J"  # recorded exactly
        await pilot.press("ctrl+n")
        await pilot.pause()
        pane = app.screen
        row = str(pane.query_one("#list").get_option_at_index(0).prompt)
        detail = str(pane.query_one("#detail").render())
        for shown in (row, detail):
            assert "⟨RLO⟩" in shown and "⟨x1B⟩" in shown
            assert "\u202e" not in shown and "\x1b" not in shown
        assert "⟨LRI⟩" in detail and "⟨x07⟩" in detail


async def test_no_paste_and_no_copy_out_of_the_editor(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        await pilot.press("a")
        await pilot.pause()
        editor = app.screen
        await type_text(pilot, "abc")
        await pilot.press("tab")
        await type_text(pilot, "body")
        await pilot.press("shift+home")  # a selection to copy, if anything would
        await pilot.press("ctrl+c", "ctrl+x", "ctrl+v")
        app.post_message(events.Paste("pasted from the system"))  # as the driver posts it
        await pilot.pause()
        assert editor.query_one("#body").text == "body"
        await pilot.press("shift+tab")
        app.post_message(events.Paste("into the title"))
        await pilot.pause()
        assert editor.query_one("#title").value == "abc"
        assert app.clipboard == ""
        blocked = [e.payload["action"] for e in entries(app, "blocked")]
        assert {"copy", "cut", "paste"} <= set(blocked) and blocked.count("paste") >= 3


def drawn(app) -> str:
    """What the terminal shows, as Textual's own screenshot holds it (called on the
    base class: the review app refuses screenshots)."""
    from textual.app import App

    return App.export_screenshot(app).replace("&#160;", " ")


async def test_the_idle_lock_blanks_the_editor_and_keeps_the_draft(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        await pilot.press("a")
        await pilot.pause()
        editor = app.screen
        await type_text(pilot, "draft")
        assert "draft" in drawn(app)  # the check below can see the editor's text
        app._lock_idle()  # noqa: SLF001 (the idle timer's own call)
        await pilot.pause()
        from cleanroom.tui.screens.idle import IdleScreen

        assert isinstance(app.screen, IdleScreen)
        assert "draft" not in drawn(app)
        await pilot.press("x")  # unlocks, and types nothing
        await pilot.pause()
        assert app.screen is editor and editor.query_one("#title").value == "draft"
        kinds = [e.kind for e in entries(app)]
        assert kinds.index("idle") < kinds.index("active")


async def test_typing_and_listing_record_nothing_and_typing_is_input(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await opened_at(pilot)
        await write_note(pilot, "one")
        before = len(entries(app))
        await pilot.press("a")
        await pilot.pause()
        quiet_since = app._last_input  # noqa: SLF001
        await type_text(pilot, "a long title typed key by key")
        await pilot.press("tab")
        await type_text(pilot, "and a body\nover lines")
        assert app._last_input > quiet_since  # noqa: SLF001 (typing keeps the session awake)
        await pilot.press("escape")  # cancel: the draft is dropped, nothing recorded
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, NotesScreen) and len(app.screen.notes) == 1
        assert len(entries(app)) == before  # no view, no note: nothing for bulk to count


async def test_a_note_needs_an_open_file(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        for key in ("a", "A"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, NoteEditorScreen)
        assert "Open a file first" in drawn(app)
        assert entries(app, "note") == []


async def test_the_help_screen_lists_the_note_keys(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("enter")
        await pilot.press("h")
        await pilot.pause()
        shown = drawn(app)
        for text in ("Note on the whole file", "Notes", "Save / cancel a note",
                     "edit / withdraw a note"):  # fmt: skip
            assert text in shown, text
