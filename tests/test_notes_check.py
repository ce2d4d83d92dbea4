"""`cleanroom notes check`: verbatim source and rare names in notes of verified ledgers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics.notes import WrittenNote, written_notes
from cleanroom.forensics.timeline import read_evidence
from cleanroom.ledger.verdict import Status
from cleanroom.notecheck.check import check_notes
from cleanroom.notecheck.corpus import SnapshotText
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit, forge
from tests.noteskit import (
    DESCRIBES,
    QUOTE,
    NoteWithdraw,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    setup,
)


def run_check(kit, files, min_length=40):
    evidence = read_evidence([files["ledger"]], kit.trust)
    notes, problems = written_notes(evidence)
    with Snapshot.open(files["snapshot"], kit.trust) as snap:
        corpus = SnapshotText(snap)
        try:
            return check_notes(notes, corpus, min_length), problems
        finally:
            corpus.close()


def test_a_quote_of_fifty_characters_is_flagged_with_its_place(tmp_path):
    kit = Kit("nc1")
    assert len(QUOTE) >= 50
    files = setup(kit, tmp_path, [note(1, f"Look at this:\n    {QUOTE}\nIt wraps.")])
    (c,), _ = run_check(kit, files)
    (frag,) = c.fragments
    assert QUOTE in frag.text
    assert [(p.path, p.line) for p in frag.places] == [(b"drivers/frob/ring.c", 14)]


def test_a_quote_across_lines_and_indentation_is_found(tmp_path):
    kit = Kit("nc2")
    quote = "\tret = -ENOSPC;\n  goto   out;\n }\n\t\tring->head += count;"
    files = setup(kit, tmp_path, [note(1, quote)])
    (c,), _ = run_check(kit, files)
    assert [f.text for f in c.fragments] == ["ret = -ENOSPC; goto out; } ring->head += count;"]
    assert c.fragments[0].places[0].line == 15


def test_a_note_that_describes_code_is_not_flagged(tmp_path):
    kit = Kit("nc3")
    files = setup(kit, tmp_path, [note(1, DESCRIBES, title="Wrap-around in the reserve check")])
    (c,), _ = run_check(kit, files)
    assert c.fragments == () and c.rare == ()
    assert not c.flagged


def test_case_matters_and_shorter_runs_are_not_reported(tmp_path):
    kit = Kit("nc4")
    files = setup(kit, tmp_path, [note(1, QUOTE.upper()), note(2, QUOTE[:30])])
    checks, _ = run_check(kit, files)
    assert [c.fragments for c in checks] == [(), ()]


def test_rare_names_are_flagged_and_common_ones_not(tmp_path):
    kit = Kit("nc5")
    files = setup(
        kit,
        tmp_path,
        [note(1, "frob_ring_reserve_slots is called with len / 64; spin_lock_irqsave guards it")],
    )
    (c,), _ = run_check(kit, files)
    names = {r.name: [(p.path, p.line) for p in r.places] for r in c.rare}
    # two occurrences in ring.c (definition, call); the binary blob is not text
    assert names["frob_ring_reserve_slots"] == [
        (b"drivers/frob/ring.c", 8),
        (b"drivers/frob/ring.c", 28),
    ]
    assert "spin_lock_irqsave" in names  # once in this small tree: rare here
    assert "frob_ring_copy_from_user" not in names  # not in the note


def test_a_name_in_three_places_is_not_rare(tmp_path):
    kit = Kit("nc6")
    files = setup(kit, tmp_path, [note(1, "struct frob_ring, and FROB_FRAME_SIZE")])
    (c,), _ = run_check(kit, files)
    # frob_ring: four times (two in ring.c, two in ring.h); FROB_FRAME_SIZE twice
    assert [r.name for r in c.rare] == ["FROB_FRAME_SIZE"]


def test_latest_version_and_withdrawn_are_used(tmp_path):
    kit = Kit("nc7")
    events = [
        note(1, "harmless"),
        note(1, QUOTE, version=2),
        NoteWithdraw(f"{1:032x}", 2),
        note(2, "still here"),
    ]
    files = setup(kit, tmp_path, events)
    checks, _ = run_check(kit, files)
    by_id = {c.note.id: c for c in checks}
    first = by_id[f"{1:032x}"]
    assert first.note.note.version == 2 and first.note.withdrawn and first.fragments
    assert not by_id[f"{2:032x}"].note.withdrawn


@pytest.mark.parametrize("body", ["", "x", "\x00\x1b[2J" * 30, "\udcff" * 10, "é" * 5000])
def test_boring_and_hostile_bodies_never_crash(tmp_path, body):
    kit = Kit("nc8")
    files = setup(
        kit, tmp_path, [note(1, body.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))]
    )
    (c,), _ = run_check(kit, files)
    assert c.fragments == ()


def test_cli_prints_sanitized_findings_and_json(tmp_path):
    kit = Kit("nc9")
    hostile = "\x1b]52;c;SGk=\x07\u202e" + QUOTE
    files = setup(kit, tmp_path, [note(1, hostile, title="evil \x1b[2J title")])
    args = [
        "notes",
        "check",
        str(files["ledger"]),
        "--snapshot",
        str(files["snapshot"]),
        "--trust",
        str(files["trust"]),
    ]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert "\x1b" not in out.output and "\u202e" not in out.output
    assert "VERBATIM" in out.output and "drivers/frob/ring.c:14" in out.output
    js = CliRunner().invoke(main, [*args, "--json"])
    doc = json.loads(js.stdout[js.stdout.index("{") :])
    assert doc["notes"][0]["fragments"][0]["places"] == [
        {"path": "drivers/frob/ring.c", "line": 14}
    ]


def test_a_tampered_ledgers_notes_are_not_read(tmp_path):
    kit = Kit("nc10")
    files = setup(kit, tmp_path, [note(1, QUOTE)])
    forge(files["ledger"], 1, None, payload={"note": "0" * 32})
    args = [
        "notes",
        "check",
        str(files["ledger"]),
        "--snapshot",
        str(files["snapshot"]),
        "--trust",
        str(files["trust"]),
    ]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 1
    assert "TAMPERED (its notes are not read)" in out.output
    assert "0 notes checked" in out.output


@pytest.mark.parametrize("names", [True, False])
def test_a_quote_past_a_nul_the_index_stops_at_is_found(tmp_path, names):
    """A text file with a NUL after its first 8 KiB: the trigram index stops there, so
    an index lookup must still name the blob (read lazily since ADR 0407)."""
    kit = Kit("ncnul")
    after = "static int frob_after_nul(struct ring *r) { return r->head + r->tail; }"
    content = b"/* pad */\n" * 1000 + b"\x00\n" + after.encode() + b"\n"
    path = make_snapshot(kit, tmp_path / "s", files={b"lib/nul.c": content})
    written = [WrittenNote(note(1, after), "", "", "", 1, None, None, Status.INTACT, False, 1)]
    with Snapshot.open(path, kit.trust) as snap:
        corpus = SnapshotText(snap, names=names)
        try:
            (c,) = check_notes(written, corpus)
        finally:
            corpus.close()
    assert [(f.text, [(p.path, p.line) for p in f.places]) for f in c.fragments] == [
        (after, [(b"lib/nul.c", 1002)])
    ]
    assert names or corpus.queries > 0  # index only: found through a lookup
