"""The reviewer app as the recorder's terminal (`review --connect`), driven by
Pilot against `cleanroom recorder` in its own process: what it paints is what
the ledger recorded, and when the recorder is killed (kill -9) the source goes
at once, and comes back, recorded again, once the recorder is back."""

from __future__ import annotations

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.tuikit import FILES

SIZE = (100, 30)
LONG = FILES[b"src/long.py"].decode().split("\n")


def shown(view: CodeView) -> str:
    return "\n".join(
        "".join(s.text for s in st) for st in view.render_lines(view.region.reset_offset)
    )


async def test_the_terminal_paints_only_what_the_recorder_recorded(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        view = app.query_one(CodeView)
        await until(pilot, lambda: "value_0 = 0" in shown(view))
        await pilot.press("pagedown")
        await until(pilot, lambda: "value_0 = 0" not in shown(view))
        vp = view.viewport()
        text = shown(view)
        assert all(LONG[i] in text for i in range(vp.first - 1, vp.last))  # every line
        assert LONG[vp.last] not in text
        assert app.document is not None
        held = app.document.lines(0, app.document.line_count)
        assert sum(1 for x in held if x) == vp.last - vp.first + 1  # one screen, no more
        views = [e.payload for e in room.entries() if e.kind == "view"]
        assert (views[-1]["first"], views[-1]["last"]) == (vp.first, vp.last)

        room.kill9()
        await until(pilot, lambda: "Source hidden" in shown(view))
        assert "value_" not in shown(view)
        room.start()
        await until(pilot, lambda: LONG[vp.first - 1] in shown(view), 600)
    kinds = [k for k in room.kinds() if k != "alert"]
    resumed = kinds.index("session_resume")
    # the same account, back after the restart: recorded, then what the screen shows
    assert kinds[resumed + 1 :][:4] == ["client_resume", "tree_list", "file_open", "view"]
    service.close()
