"""Opening a large non-ASCII file costs time and memory in proportion to its size,
and little of either (attack review of issue 12: 0.74 CPU-s per MB and 625 MB of
memory for a 200 MB file). A file too big to hold is refused before it is read,
and the refusal is recorded as `blocked`."""

import time
import tracemalloc

import pytest

from cleanroom.sanitize import lookalikes
from cleanroom.session import snapshot_source
from cleanroom.session.source import TooLarge
from cleanroom.tui.codeview import CodeView
from tests import tuikit
from tests.test_tui_large_file import shown
from tests.test_tui_names_shown import payloads
from tests.test_tui_review import start
from tests.tuikit import make_app, sample_source

LINE = "naïve café — ünïcödé straße %07d ‮ ok\n"
BIG = "".join(LINE % i for i in range(100_000)).encode()  # ~4.3 MB, every line flagged
MB = len(BIG) / 1e6


@pytest.fixture
def big(monkeypatch):
    monkeypatch.setattr(tuikit, "FILES", {**tuikit.FILES, b"big.txt": BIG})


def test_a_large_non_ascii_file_opens_in_a_tenth_of_a_second_per_mb(kit, tmp_path, big):
    source = sample_source(kit, tmp_path)
    source.open(b"README.md")  # one-time costs (the confusables data) are not per MB
    started = time.process_time()
    opened = source.open(b"big.txt")
    cpu = time.process_time() - started
    assert opened.flags == {"bidi": 100_000} and opened.flagged_lines[-1] == 100_000
    assert cpu / MB < 0.1, f"{cpu / MB:.3f} CPU-s per MB"


def test_a_large_non_ascii_file_takes_little_more_memory_than_its_size(kit, tmp_path, big):
    source = sample_source(kit, tmp_path)
    lookalikes("pаypal café")  # the confusables data, loaded once per process
    tracemalloc.start()
    try:
        opened = source.open(b"big.txt")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert opened.lines == 100_000
    print(f"peak {peak / 1e6:.1f} MB for a {MB:.1f} MB file")
    assert peak < 1.25 * len(BIG) + 4e6, f"peak {peak / 1e6:.1f} MB for a {MB:.1f} MB file"


async def test_a_file_over_the_limit_is_refused_unread_and_recorded(
    kit, ledger_dir, big, monkeypatch
):
    monkeypatch.setattr(snapshot_source, "MAX_OPEN_BYTES", len(BIG) - 1)
    app, _ = make_app(kit, ledger_dir)
    read = app.session.source.snapshot.read
    reads: list[bytes] = []
    monkeypatch.setattr(
        app.session.source.snapshot, "read", lambda b, *a: reads.append(b) or read(b, *a)
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        with pytest.raises(TooLarge):
            app.session.source.open(b"big.txt")
        app.open_path(b"big.txt")
        for _ in range(200):
            if app._opening is None:
                break
            await pilot.pause(0.05)
        text = shown(app.query_one(CodeView))
        assert app.opened is None and "straße" not in text
        assert "too large to open" in text
    assert reads == []  # not a byte of it read
    blocked = payloads(app, "blocked")
    assert [b["action"] for b in blocked] == ["too_large"]  # the app's open; not the direct one
    assert "big.txt" in blocked[0]["detail"] and f"{len(BIG):,} bytes" in blocked[0]["detail"]
    assert payloads(app, "file_open") == []
