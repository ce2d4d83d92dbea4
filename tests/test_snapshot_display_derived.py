"""Display paths are derived from the signed path when shown, never read (issue 14).

`Snapshot.open` used to re-derive every stored `display` (the sanitized path,
which the signed Merkle leaf leaves out) to check it: ~15 ms for a 3 KB path
full of escapes, so a vendor tree of such names made every open slow (83 s for
3,001 files). Now open sanitizes no name, and every reader derives the display
form of the paths it gives from the signed path (ADR 0305): a forged `display`
column is never shown and never decides a glob, and `snapshot verify` still
names it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import cleanroom.snapshot.walk as walk
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from cleanroom.snapshot.verify import verify_bytes
from tests.snapshotkit import TRUST, edited, make

HOSTILE = b"\x1b]0;x\x07\xe2\x80\xae" * 20  # escapes and RLOs: tagged by the sanitizer
NAMES = [b"plain.c", b"sub/" + HOSTILE + b".c", b"sub/" + HOSTILE[:-1] + b"\xff.c"]
LIE = "src/trusted.c"


def _tree(root: Path) -> Path:
    for name in NAMES:
        p = os.path.join(os.fsencode(root), name)  # bytes: a name is not UTF-8
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(b"int needle;\n")
    return root


@pytest.fixture(scope="module")
def snaps(tmp_path_factory):
    d = tmp_path_factory.mktemp("display")
    genuine = make(d, _tree)
    forged = d / "forged.snapshot"
    forged.write_bytes(edited(genuine.read_bytes(), f"UPDATE files SET display = '{LIE}'"))
    return genuine, forged


@pytest.fixture
def sanitized(monkeypatch):
    """Every path the snapshot code sanitizes (a spy: the real sanitizer still runs)."""
    seen: list[str] = []
    real = walk.clean

    def spy(text: str) -> str:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(walk, "clean", spy)
    return seen


def test_open_sanitizes_no_name(snaps, sanitized):
    genuine, _ = snaps
    Snapshot.open(genuine, TRUST).close()
    assert sanitized == []


def test_a_forged_display_column_is_never_shown_or_globbed(snaps):
    _, forged = snaps
    with Snapshot.open(forged, TRUST) as snap:  # opens: the signed rows are intact
        infos = list(snap.files())
        shown = {i.path: i.display for i in infos}
        assert shown == {p: walk.display_path(p) for p in shown}
        assert LIE not in shown.values() and "⟨x1B⟩" in shown[NAMES[1]]
        listed = snap.listdir(b"sub")
        assert [i.display for i in listed] == [walk.display_path(i.path) for i in listed]
        hits = list(search(snap, Query("needle")).hits())
        assert sorted(h.display for h in hits) == sorted(walk.display_path(p) for p in NAMES)
        assert list(search(snap, Query("needle", include=(LIE,))).hits()) == []
        only = list(search(snap, Query("needle", include=("sub/*",))).hits())
        assert sorted(h.path for h in only) == sorted(NAMES[1:])


def test_verify_still_names_a_forged_display(snaps):
    _, forged = snaps
    report = verify_bytes(forged.read_bytes(), TRUST)
    assert any(f.code == "ROW" for f in report.findings), report.findings


def test_a_search_without_globs_sanitizes_only_its_hits(snaps, sanitized):
    genuine, _ = snaps
    with Snapshot.open(genuine, TRUST) as snap:
        assert list(search(snap, Query("no such text anywhere")).hits()) == []
        assert sanitized == []
        assert len(list(search(snap, Query("needle")).hits())) == 3
        assert len(sanitized) <= 3
