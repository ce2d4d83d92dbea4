"""A large non-ASCII file (issue 12): opening it checks every line for characters
the sanitizer tags (~0.1 s per MB). That runs off the event loop: timers keep
ticking (the guard's drain, the idle lock), the file shown before is hidden at
once, and nothing of the new file is drawn before its `file_open` is recorded."""

import time

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.file_open import ON_UI_THREAD
from tests import tuikit
from tests.ledgerkit import read_rows
from tests.loopclock import Mark, mark, most_blocked, most_run
from tests.tuikit import make_app

SIZE = (100, 30)
LINE = "naïve café — ünïcödé straße %07d ‮ ok\n"
BIG = "".join(LINE % i for i in range(200_000)).encode()  # ~8.6 MB, every line flagged


def shown(view: CodeView) -> str:
    return "\n".join(
        "".join(s.text for s in st) for st in view.render_lines(view.region.reset_offset)
    )


async def test_a_large_non_ascii_file_opens_off_the_event_loop(kit, ledger_dir, monkeypatch):
    assert len(BIG) > 20 * ON_UI_THREAD
    monkeypatch.setattr(tuikit, "FILES", {**tuikit.FILES, b"big.txt": BIG})
    app, _ = make_app(kit, ledger_dir)
    ticks: list[Mark] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await pilot.pause()
        view = app.query_one(CodeView)
        assert "value_" in shown(view)
        app.set_interval(0.02, lambda: ticks.append(mark()))
        since = mark()
        started = since.at
        app.open_path(b"big.txt")
        assert app.opened is None  # returned at once
        while_opening = shown(view)  # before any pause: the worker may finish in one
        assert "Opening big.txt" in while_opening and "value_" not in while_opening
        while app.opened is None and time.monotonic() - started < 180:
            await pilot.pause(0.05)  # a deadline, not a count: a pause can take long
        took = time.monotonic() - started
        await pilot.pause()
        assert app.opened is not None and app.opened.path == b"big.txt"
        assert "straße 0000000" in shown(view)
        assert view.next_flag() == 2  # every line is flagged: a bisect, not a scan
        await pilot.pause()
        assert view.next_flag(forward=False) == 1
        during = [at for at in ticks if started <= at.at <= started + took]
        assert len(during) >= took / 0.02 / 4, (took, len(during))
        blocked = most_blocked([since, *during])  # not wall gaps: load stretches those
        assert blocked < 0.5, blocked
        ran = most_run([since, *during])  # CPU on the loop between two ticks
        assert ran < 0.25, ran  # checking the file's characters on the loop: seconds
    rows = [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]
    kinds = [(e.kind, e.payload.get("path")) for e in rows]
    opened_at = kinds.index(("file_open", "big.txt"))
    assert ("view", "big.txt") not in kinds[:opened_at]
    assert rows[opened_at].payload["lines"] == 200_000
    assert rows[opened_at].payload["flags"]["bidi"] == 200_000
    print(f"{len(BIG) / 1e6:.1f} MB non-ASCII opened in {took:.2f} s; "
          f"loop blocked {blocked:.3f} s at most")  # fmt: skip
