"""The seed corpus under tests/fuzz_corpus/, rebuilt by `scripts/fuzz.py --make-corpus`.

Seeds are real inputs: committed test vectors (tests/vectors), a ledger that
uses every event of the reviewer vocabulary (so the forensic decoding is reached),
a small snapshot (tests/snapshotkit.py) and the small hostile shapes of
tests/hostile_sqlite.py. Crashes found later are added beside them by hand, named
`crash-<what>`, with the fix that makes them pass.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from cleanroom.ledger.encoding import HEADER, decode_body
from cleanroom.ledger.load import load_bytes
from cleanroom.session import events as ev
from tests import hostile_sqlite, snapshotkit
from tests.fuzz_targets import CORPUS, TARGETS, VECTORS, pack
from tests.journalkit import journal_bytes
from tests.ledgerkit import Kit

LEDGER_VECTORS = [
    "sealed.ledger", "sealed_witnessed.ledger", "resumed_then_sealed.ledger",
    "resumed_after_reboot.ledger", "signed_nested_33_deep.ledger",
    "signed_nested_past_recursion.ledger", "countersign_bad_signature.ledger",
    "session_forked.ledger", "view_named_entries_hides_alert.ledger",
    "payload_whitespace_unsigned.ledger", "signed_latin1_bytes.ledger",
]  # fmt: skip
WAL_VECTORS = ["unsealed_after_crash.ledger", "torn_wal_tail.ledger"]


def vocabulary_ledger(directory: Path) -> bytes:
    """A sealed, countersigned session holding one entry of every reviewer kind."""
    kit = Kit("fuzz")
    ledger = kit.new_ledger(directory, ledger_id=bytes(range(16)))  # the same bytes every run
    blob = "ab" * 32
    for event in (
        ev.FileOpen(raw_path=b"src/a.c", blob=blob, size=120, lines=12, flags={"bidi": 1}),
        ev.View(raw_path=b"src/a.c", blob=blob, first=0, last=11, col=0, cols=80),
        ev.Search(
            query="main",
            regex=False,
            case=True,
            include=["*.c"],
            exclude=[],
            hits=2,
            digest="cd" * 32,
        ),  # fmt: skip
        ev.SearchResultsView(search_seq=3, first=0, last=1),
        ev.QuickOpen(query="a.c", matches=1),
        ev.Goto(raw_path=b"src/\xffb.c", line=3),
        ev.Idle(after_s=300),
        ev.Active(idle_s=310),
        ev.Blocked(action="copy", detail="clipboard"),
        ev.WitnessShown(seq=9, code="0000-0000-0000-0000-0000-0000-0000"),
        ev.RecordingFailed(error="disk full", failed_at_wall_us=1, attempts=2),
        ev.Alert(category="bulk", detail="many files", response="warn", count=3),
        ev.View(raw_path=b"src/a.c", blob=blob, first=5, last=9, col=4, cols=60),
    ):
        ledger.append(event)
    ledger.seal(countersigner=kit.reviewer)
    return Path(ledger.path).read_bytes()


def seeds() -> dict[str, dict[str, bytes]]:
    """Every seed, by target and file name."""
    out: dict[str, dict[str, bytes]] = {t: {} for t in TARGETS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ledgers = {name: (VECTORS / name).read_bytes() for name in LEDGER_VECTORS}
        ledgers["vocabulary.ledger"] = vocabulary_ledger(root)
        for name, data in ledgers.items():
            out["ledger_image"][name] = pack([data])
        for name in WAL_VECTORS:
            data = (VECTORS / name).read_bytes()
            out["ledger_image"][name + "+wal"] = pack(
                [data, (VECTORS / f"{name}-wal").read_bytes()]
            )
        for shape in (hostile_sqlite.view_of_big_blobs, hostile_sqlite.sorted_endless_view):
            out["ledger_image"][f"hostile-{shape.__name__}"] = pack(
                [shape(root / shape.__name__).read_bytes()]
            )
        sealed = ledgers["sealed.ledger"]
        planted = journal_bytes(b"canary.key", db_pages=2)
        out["ledger_files"]["journal-names-canary-relative"] = pack([b"\x02", sealed, b"", planted])
        header = planted[:512]  # the target appends a trailer naming the canary's absolute path
        out["ledger_files"]["journal-names-canary-absolute"] = pack([b"\x06", sealed, b"", header])
        out["ledger_files"]["sealed-empty-wal"] = pack([b"\x01", sealed, b""])
        for name in WAL_VECTORS:
            db, wal = (VECTORS / name).read_bytes(), (VECTORS / f"{name}-wal").read_bytes()
            out["ledger_files"][name + "+wal"] = pack([b"\x01", db, wal])
        rows = load_bytes(ledgers["vocabulary.ledger"]).rows
        for seq, body, _ in rows:
            assert isinstance(body, bytes)
            out["entry_body"][f"vocabulary-{seq}"] = body
            out["canonical_json"][f"vocabulary-{seq}"] = body[HEADER.size + body[HEADER.size - 1] :]
        start = decode_body(rows[0][1]).payload  # type: ignore[arg-type]
        out["certificate"]["vocabulary"] = pack(
            [start["cert"].encode(), bytes.fromhex(start["cert_sig"])]
        )
        for name in ("sealed", "sealed_witnessed"):
            receipt = (VECTORS / f"{name}.receipt.json").read_bytes()
            code = json.loads(receipt)["witness"]
            out["witness"][name] = pack([f"{json.loads(receipt)['seq']}:{code}".encode(), receipt])
        (root / "snapshot").mkdir()
        snap = snapshotkit.make(root / "snapshot")
        out["snapshot"]["small.snapshot"] = snap.read_bytes()
        endless = hostile_sqlite.snapshot_with_endless_files_view(root / "endless.snapshot")
        out["snapshot"]["hostile-endless-files-view"] = endless.read_bytes()
    return out


def write_corpus(directory: Path = CORPUS) -> int:
    """Write the seeds (keeping crash reproducers already there); the file count."""
    n = 0
    for target, files in seeds().items():
        (directory / target).mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (directory / target / name).write_bytes(data)
            n += 1
    return n


def name_for(data: bytes, what: str) -> str:
    return f"crash-{what}-{hashlib.sha256(data).hexdigest()[:12]}"
