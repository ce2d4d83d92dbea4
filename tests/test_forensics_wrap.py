"""who-viewed credits a wrapped view (ADR 0212) with exactly the lines it had a
row on screen for: lines `first..last` of the entry, which the recorder laid
out, not the lines a cut screen of the same height would have held."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics.screen import watch
from cleanroom.forensics.sessionindex import SessionIndex
from cleanroom.forensics.timeline import read_timeline
from cleanroom.ledger.encoding import decode_body
from tests.forensicskit import review_app, trust_file
from tests.ledgerkit import Kit, read_rows
from tests.wrapkit import PATH, wide_source


def test_who_viewed_credits_the_lines_a_wrapped_view_showed(tmp_path):
    kit = Kit("forensics-wrap")
    wide_source(kit, tmp_path)  # builds tmp_path/wide.snapshot
    snapshot, ledgers = tmp_path / "wide.snapshot", tmp_path / "ledgers"
    ledgers.mkdir()
    app = review_app(kit, ledgers, snapshot, name="wrap")

    async def read() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            # Wrap first: the file's first screen is then wrapped, lines 1..4 filling
            # the rows a cut screen would fill with lines 1..19.
            await pilot.press("enter", "w", "ctrl+p", *"wide.c", "enter")
            for _ in range(3):
                await pilot.pause()
            await pilot.press("q", "y")
            await pilot.pause()

    asyncio.run(read())
    (ledger,) = ledgers.glob("*.ledger")
    views = [(seq, decode_body(b).payload) for seq, b, _ in read_rows(ledger)
             if decode_body(b).kind == "view"]  # fmt: skip
    assert [(v["first"], v["last"]) for _, v in views] == [(1, 4)]
    assert views[0][1]["wrap"] > 4

    def who(target: str) -> dict:
        out = CliRunner().invoke(main, ["who-viewed", target, str(ledgers), "--trust",
                                        str(trust_file(kit, tmp_path)), "--snapshot",
                                        str(snapshot), "--no-cache", "--json"],
                                 catch_exceptions=False)  # fmt: skip
        assert out.exit_code in (0, 1), out.output
        return json.loads(out.stdout)

    (seen,) = who("w/wide.c")["sightings"]
    assert seen["ranges"] == [[1, 4]] and seen["lines_seen"] == 4
    assert who("w/wide.c:5")["sightings"] == []  # on a cut screen, it would have been


def test_the_session_index_keeps_what_rebuilds_a_wrapped_screen(tmp_path):
    """who-viewed's cached index gives back each screen as the ledger has it, `wrap`
    included (a wrapped view of lines 1..4 at 80 columns is not the cut view of the
    same lines: it shows every column of them), and who-viewed answers the same
    from the cache as without it."""
    kit = Kit("forensics-wrap-index")
    wide_source(kit, tmp_path)
    snapshot, ledgers = tmp_path / "wide.snapshot", tmp_path / "ledgers"
    ledgers.mkdir()
    app = review_app(kit, ledgers, snapshot, name="wrap")

    async def read() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("enter", "ctrl+p", *"wide.c", "enter")
            await pilot.pause()
            await pilot.press("w")  # the same lines, now wrapped: another screen
            for _ in range(3):
                await pilot.pause()
            await pilot.press("q", "y")
            await pilot.pause()

    asyncio.run(read())
    (ledger,) = ledgers.glob("*.ledger")
    timeline = read_timeline(ledger, kit.trust)
    shown = [s for s in watch(timeline.entries).shown if s.viewport.path == PATH]
    assert [s.viewport.wrap > 0 for s in shown] == [False, True]
    record, parts = SessionIndex.from_timeline(timeline).to_record()
    stored = SessionIndex.from_record(str(ledger), record, lambda p, _: parts.get(p))
    assert stored.shown_for(PATH) == shown

    def who(*extra: str) -> dict:
        out = CliRunner().invoke(main, ["who-viewed", "w/wide.c", str(ledgers), "--trust",
                                        str(trust_file(kit, tmp_path)), "--snapshot",
                                        str(snapshot), "--json", *extra],
                                 catch_exceptions=False)  # fmt: skip
        assert out.exit_code in (0, 1), out.output
        return json.loads(out.stdout)

    def cached(answer: dict, read: bool) -> dict:
        assert [x.pop("from_cache") for x in answer["ledgers"]] == [read]
        return answer

    cache = str(tmp_path / "cache")
    fresh = cached(who("--no-cache"), False)
    assert cached(who("--cache-dir", cache), False) == fresh  # the index made and kept
    assert cached(who("--cache-dir", cache), True) == fresh  # the index read back
