"""A refused file's name is shown as the snapshot's display form, sanitized once.

The display (`FileInfo.display`, `display_path`) is already the sanitizer's
output; sanitizing it again turned each tag into tags of its brackets
(`⟨U+27E8⟩x1B⟨U+27E9⟩`), so the reviewer could not read which file was refused."""

from __future__ import annotations

from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.walk import display_path
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.test_review_signed_content import (
    EVIL,
    FILES,
    SIZE,
    _painted,
    build,
    session_for,
    with_content,
)

NAME = b"src/a\x1bb.py"  # an escape byte in the name: the display tags it


async def test_a_refused_file_is_named_with_its_display_form_once(kit, tmp_path, ledger_dir):
    files = {**FILES, NAME: FILES[b"src/app.py"]}
    genuine = build(kit, tmp_path, files)
    bad = with_content(genuine, tmp_path / "bad.snapshot", b"src/app.py", EVIL, True)
    session = session_for(kit, SnapshotSource.from_file(bad, kit.trust), ledger_dir)
    app = ReviewApp(session, countersigner=kit.reviewer)
    shown = display_path(NAME)
    assert shown == "src/a⟨x1B⟩b.py"  # the form the reviewer must read
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # past the start screen
        app.open_path(NAME)  # same content as src/app.py: refused as well
        await pilot.pause()
        view = app.query_one(CodeView)
        assert view.document is None and app.opened is None
        assert view.refused is not None and view.refused.startswith(f"{shown} is not what")
        screen = _painted(app)
        assert "is not what the vendor signed" in screen
        assert "U+27E8" not in screen and "U+27E9" not in screen
        assert shown in screen
        assert "\x1b" not in screen and EVIL.decode() not in screen
    session.source.snapshot.close()


async def test_a_notice_names_an_untrusted_value_sanitized_once(kit, ledger_dir):
    """The notice bar sanitizes what it is given (NoticeBar.post), so the callers
    give it raw text: `No such file` and `Not found in this file` showed the tags of
    tags for a name or query with an escape byte."""
    from cleanroom.tui.noticebar import NoticeBar
    from tests.tuikit import make_app

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        app.open_path(b"no/such\x1bfile.py")
        await pilot.pause()
        notice = app.query_one(NoticeBar).notice
        assert notice == "No such file: no/such⟨x1B⟩file.py", notice
        app.notify("Not found in this file: a\u202eb", markup=False)
        assert app.query_one(NoticeBar).notice == "Not found in this file: a⟨RLO⟩b"
