"""The fast check against the brute-force reference on random snapshots and notes
(hypothesis): source texts drawn from a small alphabet of runs, punctuation and
whitespace (so names begin, end and repeat inside one another, digit-led runs
and all), notes that quote them from any character on, re-wrapped, with words
around. No bound is reached, so the fast check must find exactly what the
reference finds: a filter, a name table or an end-run lookup that rules out a
quote is a failure here."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.forensics.notes import WrittenNote
from cleanroom.ledger.verdict import Status
from cleanroom.notecheck.check import check_notes
from cleanroom.notecheck.corpus import SnapshotText
from cleanroom.snapshot.store import Snapshot
from tests import notecheck_reference as reference
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit
from tests.noteskit import note

PIECES = [
    "frob",
    "_ring",
    "9x",
    "7",
    "ab",
    "head",
    "0x1f",
    "(",
    "),",
    ";",
    "->",
    "é",
    "\t",
    " ",
    "\n",
]
piece_runs = st.lists(st.sampled_from(PIECES), min_size=1, max_size=60).map("".join)
KIT = Kit("ncrandom")


@st.composite
def cases(draw) -> tuple[list[str], list[str], int]:
    sources = draw(st.lists(piece_runs, min_size=1, max_size=4))
    bodies = []
    for _ in range(draw(st.integers(1, 3))):
        source = draw(st.sampled_from(sources))
        a = draw(st.integers(0, len(source)))
        b = draw(st.integers(a, len(source)))
        before, after = draw(piece_runs), draw(piece_runs)
        quote = " ".join(source[a:b].split())  # re-wrapped as a reviewer pastes
        bodies.append(draw(st.sampled_from([quote, before + " " + quote + " " + after])))
    return sources, bodies, draw(st.sampled_from([8, 12]))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_the_fast_check_finds_what_brute_force_finds(case):
    sources, bodies, min_length = case
    files = {b"src/f%d.c" % i: s.encode() for i, s in enumerate(sources)}
    written = [
        WrittenNote(note(i + 1, b), "", "", "", i + 1, None, None, Status.INTACT, False, 1)
        for i, b in enumerate(bodies)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = make_snapshot(KIT, Path(tmp) / "s", files=files)
        with Snapshot.open(path, KIT.trust) as snap:
            texts = reference.text_files(snap)
            want = [sorted((r, p) for r, p in reference.runs(b, texts, min_length)) for b in bodies]
            for cache in (Path(tmp) / "cache", Path(tmp) / "cache", None):
                corpus = SnapshotText(snap, cache_dir=cache)
                try:
                    got = check_notes(written, corpus, min_length)
                finally:
                    corpus.close()
                runs = [
                    sorted(
                        (f.text, sorted((p.path, p.line) for p in f.places)) for f in c.fragments
                    )
                    for c in got
                ]
                assert runs == want
