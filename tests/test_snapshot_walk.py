"""The tree walk: safe (no link followed, nothing blocks), complete, exact and ordered."""

from __future__ import annotations

import json
import os
import select
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.snapshot.walk import Kind, WalkError, _read_file, survey, walk
from tests import hostile_tree as ht


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    return ht.build(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def entries(hostile):
    with ht.deadline(60):
        return list(walk(hostile))


def by_path(entries):
    return {e.path: e for e in entries}


def test_every_entry_appears_exactly_once_with_its_kind(hostile, entries):
    expected = ht.independent_walk(hostile)
    got = {e.path: e.kind.value for e in entries}
    assert len(got) == len(entries), "a path came out twice"
    assert got == expected


def test_order_is_full_path_byte_order(entries):
    paths = [e.path for e in entries]
    assert paths == sorted(paths)
    order = [p for p in paths if p.startswith(b"order/")]
    assert order == [b"order/a", b"order/a-b", b"order/a.c", b"order/a/x", b"order/a0"]


def test_links_are_recorded_with_raw_targets_and_never_followed(entries):
    e = by_path(entries)
    assert e[b"outside-link"].kind is Kind.LINK
    assert e[b"outside-link"].target == ht.OUTSIDE_TARGET
    assert e[b"outside-link"].data is None
    assert e[b"loop-a"].target == b"loop-b" and e[b"loop-b"].target == b"loop-a"
    assert e[b"self"].target == b"self"
    assert e[b"dangling"].target == b"missing\xff\ntarget"
    assert e[b"dir-link"].kind is Kind.LINK
    assert not any(p.startswith(b"dir-link/") for p in e), "descended into a linked directory"
    assert e[b"sub/up-and-out"].size == len(e[b"sub/up-and-out"].target)
    outside = Path("/etc/passwd").read_bytes()
    assert not any(x.data == outside for x in entries)


def test_fifo_is_skipped_with_a_reason_and_does_not_block(entries):
    fifo = by_path(entries)[b"fifo"]
    assert fifo.kind is Kind.SKIPPED and fifo.data is None
    assert fifo.reason == "not a regular file: named pipe (FIFO)"
    assert stat.S_ISFIFO(fifo.mode)


def test_a_file_swapped_for_a_fifo_after_lstat_is_not_read(hostile):
    """The fstat-after-open check: lstat said regular, the open finds a FIFO."""
    regular = os.stat(hostile / "empty")
    fd = os.open(hostile, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with ht.deadline(10):
            got = _read_file(fd, b"fifo", b"fifo", regular, 1 << 20)
    finally:
        os.close(fd)
    assert got.kind is Kind.SKIPPED and got.reason == "not a regular file: named pipe (FIFO)"


def test_names_are_kept_as_exact_bytes_and_displayed_safely(entries):
    e = by_path(entries)
    for name in (ht.ESC_NAME, ht.BIDI_NAME, ht.LATIN1_NAME, ht.NEWLINE_NAME):
        assert name in e
    assert b"dir\nwith\nnewlines/inner.txt" in e
    assert e[ht.LATIN1_NAME].display == "latin1-⟨xE9⟩t⟨xE9⟩-⟨xFF⟩.c"
    assert e[ht.NEWLINE_NAME].display == "new⟨x0A⟩line⟨x0D⟩⟨x0A⟩.txt"
    for x in entries:
        assert x.display.isprintable(), x.display
        assert "\x1b" not in x.display and "\u202e" not in x.display


def test_contents_are_read_exactly(hostile, entries):
    e = by_path(entries)
    assert e[ht.ESC_NAME].data == ht.ESC_CONTENT
    assert e[ht.BIDI_NAME].data == ht.BIDI_CONTENT
    assert e[ht.LATIN1_NAME].data == ht.INVALID_CONTENT
    assert e[b"binary.bin"].data == ht.NUL_CONTENT
    assert e[b"long-line.txt"].data == b"x" * ht.LONG_LINE
    assert e[b"empty"].data == b"" and e[b"empty"].size == 0
    for x in entries:
        if x.kind is Kind.FILE:
            assert x.data == (hostile / os.fsdecode(x.path)).read_bytes()
            assert x.size == len(x.data)


def test_deep_nesting_is_walked_to_the_bottom(entries):
    bottom = b"/".join([b"d"] * ht.DEPTH) + b"/bottom.txt"
    assert by_path(entries)[bottom].data == b"deep down\n"


def test_nesting_beyond_path_max_works(tmp_path):
    """60 levels of 200-byte names: 12 KB paths, three times PATH_MAX."""
    name = b"n" * 200
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    fds = [fd]
    for _ in range(60):
        os.mkdir(name, dir_fd=fds[-1])
        fds.append(os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
    leaf = os.open(b"leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1])
    os.write(leaf, b"found\n")
    os.close(leaf)
    for f in fds:
        os.close(f)
    got = list(walk(tmp_path))
    assert len(got) == 61
    assert got[-1].path == b"/".join([name] * 60) + b"/leaf" and got[-1].data == b"found\n"
    assert len(got[-1].path) > 4096


def test_files_over_the_limit_are_skipped_with_a_reason(hostile):
    got = by_path(walk(hostile, max_file_size=1000))
    assert got[b"long-line.txt"].kind is Kind.SKIPPED
    assert got[b"long-line.txt"].reason == "larger than the limit of 1000 bytes"
    assert got[b"long-line.txt"].size == ht.LONG_LINE
    assert got[b"empty"].kind is Kind.FILE


def test_a_root_that_cannot_be_walked_raises_walk_error(tmp_path):
    with pytest.raises(WalkError):
        list(walk(tmp_path / "absent"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(WalkError):
        list(walk(tmp_path / "file"))


def test_survey_counts_what_walk_finds(hostile, entries):
    count, size = survey(hostile)
    assert count == len(entries)
    assert size == sum(e.size for e in entries if e.kind is Kind.FILE)


def test_no_descriptors_leak_even_when_the_walk_is_abandoned(hostile):
    before = len(os.listdir("/proc/self/fd"))
    it = walk(hostile)
    for _ in range(200):  # well inside the deep chain: 200 directories open
        next(it)
    it.close()
    assert len(os.listdir("/proc/self/fd")) == before


NAME = st.text(alphabet="ab-./0", min_size=1, max_size=4).filter(
    lambda s: s not in (".", "..") and "/" not in s
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(NAME, min_size=1, max_size=3), min_size=1, max_size=12))
def test_random_trees_come_out_in_byte_order_and_complete(paths):
    with tempfile.TemporaryDirectory() as tmp:
        for parts in paths:
            target = Path(tmp, *parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    target.write_bytes(b"x")
            except (FileExistsError, NotADirectoryError):
                pass  # a file already stands where this path wants a directory
        got = [e.path for e in walk(tmp)]
        assert got == sorted(got)
        assert dict.fromkeys(got) == dict.fromkeys(sorted(ht.independent_walk(Path(tmp))))


# -- unreadable entries --------------------------------------------------------------
# Tests run as root, and root reads any file whatever its mode. So the walk runs in a
# forked child that has dropped to `nobody`, over a tree in a world-traversable
# directory: the permission errors are real ones from the kernel.


def _walk_as_nobody(tree: Path) -> dict[str, list]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            out = {e.path.hex(): [e.kind.value, e.reason] for e in walk(tree)}
            os.write(write, json.dumps(out).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    chunks = []
    with ht.deadline(60):
        while True:
            select.select([read], [], [], 60)
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0
    return json.loads(b"".join(chunks))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_unreadable_files_and_directories_are_skipped_with_reasons_and_the_walk_goes_on():
    tree = Path(tempfile.mkdtemp(prefix="cleanroom-unreadable-", dir="/tmp"))
    try:
        tree.chmod(0o755)
        (tree / "a-readable.txt").write_text("ok\n")
        (tree / "b-secret.txt").write_text("secret\n")
        (tree / "b-secret.txt").chmod(0o000)
        (tree / "c-locked").mkdir()
        (tree / "c-locked" / "inside.txt").write_text("hidden\n")
        (tree / "c-locked").chmod(0o000)
        (tree / "d-after.txt").write_text("still read\n")
        for p in (tree / "a-readable.txt", tree / "d-after.txt"):
            p.chmod(0o644)
        got = {bytes.fromhex(k): v for k, v in _walk_as_nobody(tree).items()}
    finally:
        (tree / "c-locked").chmod(0o755)
        shutil.rmtree(tree)
    assert got == {
        b"a-readable.txt": ["file", None],
        b"b-secret.txt": ["skipped", "cannot open: Permission denied"],
        b"c-locked": ["skipped", "cannot read directory: Permission denied"],
        b"d-after.txt": ["file", None],
    }
