"""A source tree built to hurt a snapshot importer, and an independent walk to check it.

Each entry is there to break a naive importer: escape sequences and bidi
controls in names and contents, names that are not UTF-8 or contain newlines, NUL
bytes, a 10 MB single line, empty files, links out of the tree and in loops, a
FIFO (which blocks a naive open), deep nesting, and names whose byte order differs
from a directory-by-directory walk's order.
"""

from __future__ import annotations

import os
import signal
import stat
from contextlib import contextmanager
from pathlib import Path

ESC_NAME = b"esc-\x1b[31mred\x1b[0m.txt"
ESC_CONTENT = b"\x1b]0;pwned\x07\x1b[2J\x1b[1;1Hnothing to see\n"
BIDI_NAME = "admin\u202e\u2066cod.exe\u2069".encode()
BIDI_CONTENT = 'if (user != "admin\u202e \u2066// check\u2069 \u2066") {\n'.encode()
LATIN1_NAME = b"latin1-\xe9t\xe9-\xff.c"
INVALID_CONTENT = b"caf\xe9 \xff\xfe \xc3\x28 \xed\xa0\x80 end\n"
NUL_CONTENT = b"MZ\x00\x00binary\x00payload\n" * 10
NEWLINE_NAME = b"new\nline\r\n.txt"
LONG_LINE = 10_000_000
DEPTH = 300
OUTSIDE_TARGET = b"/etc/passwd"


def build(root: Path) -> Path:
    """Fill `root` (an existing directory) with the hostile tree; return `root`."""
    r = os.fsencode(root)

    def put(rel: bytes, data: bytes) -> None:
        os.makedirs(os.path.dirname(os.path.join(r, rel)), exist_ok=True)
        with open(os.path.join(r, rel), "wb") as f:
            f.write(data)

    put(ESC_NAME, ESC_CONTENT)
    put(BIDI_NAME, BIDI_CONTENT)
    put(LATIN1_NAME, INVALID_CONTENT)
    put(b"binary.bin", NUL_CONTENT)
    put(NEWLINE_NAME, b"line one\r\nline two\r\n")
    put(b"dir\nwith\nnewlines/inner.txt", b"inside\n")
    put(b"long-line.txt", b"x" * LONG_LINE)
    put(b"empty", b"")
    put(b"sub/empty-too", b"")
    put(b"sub/copy-1.txt", b"same content\n")
    put(b"sub/copy-2.txt", b"same content\n")
    put(b"crlf.txt", b"a\r\nb\r\n\r\nc")
    put(b"ctrl-\x01\x7f\x9b-\t.txt", b"controls \x00 in name\n")
    # Full-path byte order differs from a naive per-directory walk here:
    # "order/a" < "order/a-b" < "order/a.c" < "order/a/x" < "order/a0".
    put(b"order/a/x", b"in a\n")
    put(b"order/a-b", b"a-b\n")
    put(b"order/a.c", b"a.c\n")
    put(b"order/a0", b"a0\n")
    os.makedirs(os.path.join(r, b"empty-dir"))
    os.symlink(OUTSIDE_TARGET, os.path.join(r, b"outside-link"))
    os.symlink(b"../../../../../../../../etc", os.path.join(r, b"sub/up-and-out"))
    os.symlink(b"loop-b", os.path.join(r, b"loop-a"))
    os.symlink(b"loop-a", os.path.join(r, b"loop-b"))
    os.symlink(b"self", os.path.join(r, b"self"))
    os.symlink(b"missing\xff\ntarget", os.path.join(r, b"dangling"))
    os.symlink(b"sub", os.path.join(r, b"dir-link"))
    os.mkfifo(os.path.join(r, b"fifo"))
    deep = os.path.join(r, *([b"d"] * DEPTH))
    os.makedirs(deep)
    with open(os.path.join(deep, b"bottom.txt"), "wb") as f:
        f.write(b"deep down\n")
    return root


def independent_walk(root: Path) -> dict[bytes, str]:
    """Every path under `root` and its kind by lstat, found without the code under test."""
    out: dict[bytes, str] = {}
    base = os.fsencode(root)
    for top, dirs, files in os.walk(base, followlinks=False):
        for name in dirs + files:
            full = os.path.join(top, name)
            rel = os.path.relpath(full, base)
            mode = os.lstat(full).st_mode
            if stat.S_ISDIR(mode):
                out[rel] = "dir"
            elif stat.S_ISLNK(mode):
                out[rel] = "link"
            elif stat.S_ISREG(mode):
                out[rel] = "file"
            else:
                out[rel] = "skipped"
    return out


@contextmanager
def deadline(seconds: int):
    """Fail (rather than hang) if the body takes longer than `seconds`."""

    def expire(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s: something blocked")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
