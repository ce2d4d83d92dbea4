"""The reviewer's lines come from the bytes the content check read
(session/snapshot_source.py), no longer from the snapshot file: they must be
exactly the lines the snapshot itself gives (`Snapshot.read_lines`), for every
boring and hostile shape of content, and a reopened file must not cost a read."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroom.session import snapshot_source
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot

CONTENTS = {
    b"empty": b"",
    b"newline": b"\n",
    b"one-byte": b"x",
    b"no-final-newline": b"a\nb",
    b"final-newline": b"a\nb\n",
    b"blank-lines": b"\n\n\n",
    b"crlf": b"a\r\nb\r\n",
    b"invalid-utf8": b"\xff\xfe\n\xc3(\n",
    b"escapes": b"\x1b[31mred\x1b]52;c;aGk=\x07\n",
    b"long-line": b"y" * 300_000 + b"\nz",
    b"many-lines": b"".join(b"line %d\n" % i for i in range(50_000)),
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> SnapshotSource:
    from tests.ledgerkit import Kit

    kit = Kit()
    root = tmp_path_factory.mktemp("checked")
    src = root / "src"
    src.mkdir()
    for name, data in CONTENTS.items():
        (src / name.decode()).write_bytes(data)
    out = root / "s.snapshot"
    create_snapshot(src, out, kit.vendor, name="s", version="1")
    return SnapshotSource.from_file(Path(out), kit.trust)


@pytest.mark.parametrize("name", sorted(CONTENTS))
def test_lines_are_the_snapshots_own(source: SnapshotSource, name: bytes) -> None:
    opened = source.open(name)
    info = source.snapshot.stat(name)
    assert info.blob is not None
    n = source.snapshot.blob(info.blob).lines
    assert opened.document.line_count == n
    want = source.snapshot.read_lines(info.blob, 0, n)
    assert opened.document.lines(0, n) == want
    for first, stop in ((0, 1), (n - 1, n + 5), (-3, 2), (n, n + 1), (5, 3)):
        want = source.snapshot.read_lines(info.blob, first, stop)
        if n == 0 and first <= 0 < stop:  # an empty file shows one empty line 1 (§5)
            want = [b""]
        assert opened.document.lines(first, stop) == want


def test_a_reopened_file_is_not_read_or_hashed_again(source, monkeypatch) -> None:
    calls = []
    real = snapshot_source.checked_content
    monkeypatch.setattr(
        snapshot_source, "checked_content", lambda *a: calls.append(a[1]) or real(*a)
    )
    monkeypatch.setattr(snapshot_source, "CONTENT_CACHE_BYTES", 1 << 30)
    source._contents.clear()
    for _ in range(3):
        source.open(b"many-lines")
        source.open(b"crlf")
    assert len(calls) == 2


def test_the_cache_keeps_to_its_size(source, monkeypatch) -> None:
    monkeypatch.setattr(snapshot_source, "CONTENT_CACHE_BYTES", 400_000)
    source._contents.clear()
    for name in (b"many-lines", b"long-line", b"crlf"):  # 538,890 + 300,002 + 6 bytes
        source.open(name)
    kept = sum(len(c.data) for c in source._contents.values())
    oldest = source.snapshot.stat(b"many-lines").blob
    assert kept <= 400_000 and oldest not in {blob for blob, _ in source._contents}
    assert len(source._contents) == 2  # long-line and crlf: the newest are kept
