"""who-viewed credits a wrapped view (ADR 0212) with exactly the lines it had a
row on screen for: lines `first..last` of the entry, which the recorder laid
out, not the lines a cut screen of the same height would have held."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.encoding import decode_body
from tests.forensicskit import review_app, trust_file
from tests.ledgerkit import Kit, read_rows
from tests.wrapkit import wide_source


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
