"""A witness owed behind the start screen is asked once the start screen is
acknowledged. The start screen is a lock (it swallows every key but Enter), so
the witness interval's timer firing while it is up (a reviewer who has not
pressed Enter yet), or an idle lock's return onto it, only leaves the witness
owed (`ReviewApp._fresh_witness`); it was asked after every other lock but not
after this one, and the reviewer lost that interval's code until the next one.
A real ledger, a real Textual app driven by Pilot."""

from __future__ import annotations

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.witness import StartScreen
from cleanroom.tui.statusbar import StatusBar
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (100, 30)


def kinds(app) -> list[str]:
    return [decode_body(b).kind for _, b, _ in read_rows(app.session.recorder.ledger.path)]


async def test_a_witness_due_behind_the_start_screen_is_asked_after_enter(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        old = app.service.shown_witness
        app._fresh_witness()  # the witness interval's timer fires before Enter
        await pilot.pause()
        assert app.service.shown_witness == old and "witness_shown" not in kinds(app)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, StartScreen)
        assert app.service.shown_witness != old
        seq, code = app.service.shown_witness
        assert f"{seq}:{code}" in str(app.query_one(StatusBar).render())
    assert kinds(app).count("witness_shown") == 1


async def test_a_witness_due_behind_an_idle_lock_over_the_start_screen_waits_for_enter(
    kit, ledger_dir
):
    """The idle lock comes up over the start screen (no key yet); its return shows
    the start screen again, still a lock: the witness is asked after its Enter."""
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app._lock_idle()  # the idle timer, before the reviewer pressed Enter
        await pilot.pause()
        assert isinstance(app.screen, IdleScreen)
        old = app.service.shown_witness
        app._fresh_witness()
        await pilot.press("x")  # the return: the start screen is in front again
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert app.service.shown_witness == old and "witness_shown" not in kinds(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.service.shown_witness != old
    found = kinds(app)
    assert found.index("active") < found.index("witness_shown")
