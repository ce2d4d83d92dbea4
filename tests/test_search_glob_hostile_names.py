"""A path glob decides on the display path, as before, on hostile names too (ADR 0306).

The display is now made by `clean`'s one-pass translation and long displays are
not kept (`catalog.Displays`); the glob must select exactly the files it
selected when each display was the per-character walk, `sanitize(decode(p)).text`:
kilobytes of escapes, more distinct controls than the replace path takes, bidi,
bytes that are not UTF-8, an NFD name beside its NFC twin, tags' own letters.
"""

from __future__ import annotations

import unicodedata

import pytest

from cleanroom.sanitize import decode, sanitize
from cleanroom.snapshot import catalog
from cleanroom.snapshot.catalog import Displays
from cleanroom.snapshot.pathglob import PathFilter
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build
from tests.snapshotkit import TRUST

PART = b'\x1b"' * 120  # a 240-byte component
LONG = b"/".join([PART] * 6)  # 1,445 bytes: a display of 4,325 characters
MANY = bytes(range(1, 32)).replace(b"\n", b"").replace(b"/", b"")  # 30 distinct controls
NAMES = [
    b"plain/a.c",
    LONG + b"/x1.c",
    b"d/" + LONG + b"1",
    b"m/" + MANY + b"1.c",
    b"bidi/\xe2\x80\xaecod.exe1",
    b"bad/\xff\xfe1.c",
    unicodedata.normalize("NFC", "n/café1").encode(),
    unicodedata.normalize("NFD", "n/café1").encode(),
    "t/x1B⟨1⟩.c".encode(),
]
GLOBS = [
    ("**/*1",), ("*.c",), ("*x1B*",), ("*⟨x1B⟩*",), ("*U+0301*",), ("n/caf*",), ("*RLO*",),
    ("*xFF*",), ("d/*",), ("[!p]*/*",), ("?/*",), ("*\"*",), ("*⟨x01⟩⟨x02⟩*",),
]  # fmt: skip


@pytest.fixture(scope="module")
def snap_path(tmp_path_factory):
    return build(tmp_path_factory.mktemp("glob-hostile"), {p: b"needle\n" for p in NAMES})


def walked(path: bytes) -> str:
    """The display as the sanitizer's per-character walk makes it."""
    return sanitize(decode(path)).text


def test_every_display_is_the_walked_one():
    shown = Displays(NAMES)
    assert [shown[i] for i in range(len(NAMES))] == [walked(p) for p in NAMES]
    assert [shown[i] for i in range(len(NAMES))] == [walked(p) for p in NAMES]  # asked again


@pytest.mark.parametrize("include", GLOBS)
def test_a_glob_selects_what_it_selected_on_the_walked_display(snap_path, include):
    want = sorted(p for p in NAMES if PathFilter(include)(walked(p)))
    with Snapshot.open(snap_path, TRUST) as snap:
        with search(snap, Query("needle", include=include)) as s:
            got = sorted({h.path for h in s.hits()})
        with search(snap, Query("needle", exclude=include)) as s:  # and as an exclude
            rest = sorted({h.path for h in s.hits()})
    assert got == want
    assert rest == sorted(set(NAMES) - set(want))


def test_some_globs_select_the_hostile_names(snap_path):
    # the cases above are not vacuous: tags and escapes are matched as shown
    assert PathFilter(("*⟨x1B⟩*",))(walked(NAMES[1]))
    assert PathFilter(("*U+0301*",))(walked(NAMES[7])) and not PathFilter(("*U+0301*",))(
        walked(NAMES[6])
    )


def test_long_displays_are_not_kept():
    shown = Displays([LONG, b"short"])
    assert shown[0] == walked(LONG) and shown[1] == "short"
    assert len(walked(LONG)) > catalog.KEPT_DISPLAY
    assert list(shown._made) == [1]  # only the short one is kept
