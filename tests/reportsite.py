"""A site for report tests: two reviewers' sessions, recorded by the real reviewer
app (Pilot) on a real vendor-signed snapshot of a small tree of directories, with
the hostile file name of `forensicskit` at the top."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.forensicskit import (
    FILES,
    HOSTILE_NAME,
    SIZE,
    begin,
    make_snapshot,
    review_app,
    seal,
    trust_file,
)
from tests.ledgerkit import Kit

INJECT = b"web/inject.html"  # source built to break a page that shows it
TREE = {
    **FILES,
    INJECT: b"<script>alert(1)</script>\n</table></details><img src=x onerror=alert(2)>\n" * 3,
    **{
        f"{top}/{sub}/{name}{i}.c".encode(): b"".join(b"int v%d;\n" % k for k in range(n))
        for top, sub, name, n0 in [
            ("drivers", "net", "eth", 300),
            ("drivers", "gpu", "drm", 700),
            ("drivers", "usb", "hub", 120),
            ("fs", "ext4", "inode", 400),
            ("kernel", "sched", "fair", 900),
            ("kernel", "irq", "chip", 80),
        ]
        for i in range(8)
        for n in [n0 + 37 * i]
    },
}
SESSIONS = [
    ("ada", "Ada Reviewer", [b"src/long.py", b"kernel/sched/fair0.c", HOSTILE_NAME, b"src/main.c"]),
    (
        "bob",
        "Bob Auditor",
        [b"drivers/net/eth1.c", b"drivers/net/eth2.c", b"src/bad\xffname.txt", INJECT],
    ),
]


async def _drive(app, paths: list[bytes]) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        for p in paths:
            app.open_path(p)
            await pilot.pause()
            await pilot.press("pagedown")
            await pilot.pause(0.05)
        await seal(pilot)


def two_reviewers(root: Path) -> dict:
    """{"snap", "trust", "ledgers", "kit"} under `root`: Ada then Bob, one session each,
    on one workstation (Bob's session names Ada's as the previous one)."""
    kit = Kit("report-site")
    snap = make_snapshot(kit, root / "snap", files=TREE)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    prev = None
    for name, who, paths in SESSIONS:
        app = review_app(kit, ledgers, snap, name=name, reviewer=who, prev=prev)
        asyncio.run(_drive(app, paths))
        app.session.source.snapshot.close()
        prev = app.session.recorder.ledger.head
    return {"kit": kit, "snap": snap, "trust": trust_file(kit, root), "ledgers": ledgers}
