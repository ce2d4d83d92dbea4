"""atk16: `cleanroom notes check` attacked from outside: evasions it does not
document, and notes checked against a snapshot their sessions never reviewed.

Real ledgers, real signed snapshots, the real command. Reproducer:
scripts/attack/atk16_probe.py. Write-up: docs/attacks/atk16-session13.md.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics.mismatch import content_at
from cleanroom.ledger.events import SnapshotRef
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot
from tests.ledgerkit import Kit
from tests.noteskit import (
    QUOTE,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    setup,
)

OTHER = {b"README": b"A different product altogether.\n"}
RING = b"drivers/frob/ring.c"


def check(files: dict, snapshot: Path, ledger: Path) -> tuple[int, dict]:
    out = CliRunner().invoke(
        main,
        ["notes", "check", str(ledger), "--snapshot", str(snapshot),
         "--trust", str(files["trust"]), "--no-cache", "--json"],
    )  # fmt: skip
    return out.exit_code, json.loads(out.stdout) if out.stdout.startswith("{") else {}


def named_ledger(kit: Kit, tmp: Path, snapshot: Path, notes: list | None = None) -> Path:
    """A sealed ledger whose start names `snapshot` (as the recorder's do), holding
    `notes`, by default one that quotes 66 characters of ring.c at its real content."""
    with Snapshot.open(snapshot, kit.trust) as snap:
        ref = SnapshotRef(snap.id, snap.manifest.root)
        ring = content_at(snap, RING)
    (tmp / "named").mkdir()
    led = kit.new_ledger(tmp / "named", snapshot=ref)
    for n in notes if notes is not None else [replace(note(1, QUOTE), blob=ring)]:
        led.append(n)
    led.seal()
    return led.path


def test_the_quote_is_flagged_on_the_right_snapshot(tmp_path):
    """The control for the test below: the same ledger, the snapshot it names."""
    kit = Kit("atk16c")
    files = setup(kit, tmp_path, [note(1, QUOTE)])
    ledger = named_ledger(kit, tmp_path, files["snapshot"])
    code, doc = check(files, files["snapshot"], ledger)
    assert code == 0 and doc["notes"][0]["fragments"]


def test_a_ledger_of_another_snapshot_is_not_passed_as_clean(tmp_path):
    kit = Kit("atk16c")
    files = setup(kit, tmp_path, [note(1, QUOTE)])
    ledger = named_ledger(kit, tmp_path, files["snapshot"])
    other = make_snapshot(kit, tmp_path / "other", files=OTHER, version="9.9")
    code, doc = check(files, other, ledger)
    # Refused (a usage error), never "checked, nothing found" (atk16 finding 2).
    assert code == 2 and doc == {}
    out = CliRunner().invoke(
        main,
        ["notes", "release", str(ledger), "--snapshot", str(other), "--trust",
         str(files["trust"]), "--vendor-key", str(files["vendor_key"]), "--no-cache",
         "--released-by", "V", "--org", "O", "-o", str(tmp_path / "r.release")],
        input="r\n",
    )  # fmt: skip
    assert out.exit_code == 2 and "records a session on snapshot" in out.output
    assert not (tmp_path / "r.release").exists()


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\u2060"])
def test_invisible_characters_inside_a_quote_do_not_hide_it(tmp_path, invisible):
    """atk16 finding 4: not whitespace to str.split, they broke every run; now dropped
    from notes and source alike (ADR 0410), so the quote is found, with its place."""
    kit = Kit("atk16z")
    files = setup(kit, tmp_path, [note(1, QUOTE.replace(" ", " " + invisible))])
    code, doc = check(files, files["snapshot"], files["ledger"])
    assert code == 0 and doc["notes"][0]["fragments"]
    (fragment,) = doc["notes"][0]["fragments"]
    assert fragment["text"] == QUOTE
    assert fragment["places"] == [{"path": "drivers/frob/ring.c", "line": 14}]


@pytest.mark.parametrize(
    "path, blob",
    [
        (b"../../etc/passwd", None),  # no such path: SARIF would leave the source root
        (RING, "ab" * 32),  # the path, at content it does not hold
    ],
)
def test_a_note_the_snapshot_contradicts_is_skipped_and_never_leaves(tmp_path, path, blob):
    """A ledger naming the snapshot, whose note names a place that snapshot does not
    hold (only a forged ledger has one): skipped and said so, never released."""
    kit = Kit("atk16c")
    files = setup(kit, tmp_path, [note(1, QUOTE)])
    with Snapshot.open(files["snapshot"], kit.trust) as snap:
        real = content_at(snap, RING)
    good = replace(note(1, QUOTE), blob=real)
    bad = replace(note(2, "leaves?"), raw_path=path, blob=blob or real)
    ledger = named_ledger(kit, tmp_path, files["snapshot"], [good, bad])
    code, doc = check(files, files["snapshot"], ledger)
    assert [n["note"] for n in doc["notes"]] == [f"{1:032x}"]
    assert doc["skipped"] and "does not hold" in doc["skipped"][0]["why"]
    dec = tmp_path / "dec.json"
    dec.write_text(json.dumps({"decisions": [{"note": f"{2:032x}", "decision": "release"}]}))
    out = CliRunner().invoke(
        main,
        ["notes", "release", str(ledger), "--snapshot", str(files["snapshot"]), "--trust",
         str(files["trust"]), "--vendor-key", str(files["vendor_key"]), "--no-cache",
         "--decisions", str(dec), "--released-by", "V", "--org", "O",
         "-o", str(tmp_path / "r.release")],
    )  # fmt: skip
    assert out.exit_code == 2 and "no such note" in out.output, out.output
