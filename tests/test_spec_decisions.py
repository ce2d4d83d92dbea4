"""What docs/ledger-format.md decides beyond the ledger vectors (issue 10, §4).

Receipts that break §4 are refused by both verifiers as a usage error; the -wal
header rule of §5.1 step 7 is the one SQLite applies; payload shapes (§3.4) are
exact in both verifiers; and the claims of verdict.md, guide-vendor.md and
threat-model.md about ordering, receipts and countersignatures hold.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import sqlite3
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from cleanroom.ledger.encoding import canonical_json
from cleanroom.ledger.findings import CODES, Finding, Severity
from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.ledger.shapes import misfit
from cleanroom.ledger.verdict import Verdict
from cleanroom.ledger.wal import is_torn, page_size, wal_is_torn
from cleanroom.ledger.witness import Receipt, WitnessError
from cleanroom.ledger.writer import receipt_path

ROOT = Path(__file__).resolve().parents[1]
VERIFY_MINIMAL = ROOT / "scripts" / "verify_minimal.py"
CLEANROOM = str(ROOT / ".venv" / "bin" / "cleanroom")


def _minimal_module() -> Any:
    spec = importlib.util.spec_from_file_location("verify_minimal", VERIFY_MINIMAL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MINIMAL = _minimal_module()


@pytest.fixture
def trust(kit, tmp_path) -> Path:
    path = tmp_path / "vendor.pub"
    write_public_key(path, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    return path


# -- §4: a receipt is exactly its five fields, hex in lowercase -----------------------


def _variants(doc: dict[str, Any]) -> dict[str, Any]:
    head = doc["head"]
    return {
        "head_uppercase": {**doc, "head": head.upper()},
        "ledger_uppercase": {**doc, "ledger": doc["ledger"].upper()},
        "head_short": {**doc, "head": head[:-2]},
        "seq_boolean": {**doc, "seq": True},
        "seq_negative": {**doc, "seq": -1},
        "seq_string": {**doc, "seq": str(doc["seq"])},
        "extra_field": {**doc, "note": "x"},
        "no_witness": {k: v for k, v in doc.items() if k != "witness"},
        "witness_not_a_code": {**doc, "witness": "hello"},
        "witness_number": {**doc, "witness": 7},
        "other_format": {**doc, "format": "cleanroom.receipt.v2"},
        "an_array": [doc],
    }


@pytest.fixture
def receipts(kit, ledger_dir, tmp_path) -> tuple[Path, Path, dict[str, Path]]:
    """A sealed ledger, its genuine receipt, and one malformed variant per file."""
    ledger = kit.new_ledger(ledger_dir, views=2)
    ledger.seal(countersigner=kit.reviewer)
    good = receipt_path(ledger.path)
    doc = json.loads(good.read_text())
    out = {}
    for name, variant in _variants(doc).items():
        out[name] = tmp_path / f"{name}.receipt.json"
        out[name].write_text(json.dumps(variant))
    return ledger.path, good, out


def _both(ledger: Path, trust: Path, receipt: Path) -> tuple[Any, Any]:
    ours = subprocess.run(
        [CLEANROOM, "verify", str(ledger), "--trust", str(trust), "--receipt", str(receipt)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    minimal = subprocess.run(
        [sys.executable, str(VERIFY_MINIMAL), str(ledger), f"--trust={trust}",
         f"--receipt={receipt}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return ours, minimal


def test_both_verifiers_accept_the_genuine_receipt(receipts, trust):
    ledger, good, _ = receipts
    ours, minimal = _both(ledger, trust, good)
    assert (ours.returncode, minimal.returncode) == (0, 0), ours.stdout + minimal.stderr
    loaded = Receipt.load(good)
    assert loaded.code == json.loads(good.read_text())["witness"]


@pytest.mark.parametrize("variant", sorted(_variants({"head": "", "ledger": "", "seq": 0})))
def test_a_malformed_receipt_is_a_usage_error_in_both_verifiers(receipts, trust, variant):
    ledger, _, bad = receipts
    with pytest.raises(WitnessError):
        Receipt.load(bad[variant])
    ours, minimal = _both(ledger, trust, bad[variant])
    assert ours.returncode == 2 and ours.stdout == "", ours.stdout + ours.stderr
    assert minimal.returncode == 2, minimal.stdout + minimal.stderr
    assert "Traceback" not in ours.stderr + minimal.stderr


def test_the_receipt_witness_read_forgivingly(receipts, trust, tmp_path):
    """Its `witness` is read as a code on paper is: case, dashes, I/L/O."""
    ledger, good, _ = receipts
    doc = json.loads(good.read_text())
    doc["witness"] = doc["witness"].lower().replace("-", " ").replace("1", "l")
    sloppy = tmp_path / "sloppy.receipt.json"
    sloppy.write_text(json.dumps(doc))
    ours, minimal = _both(ledger, trust, sloppy)
    assert (ours.returncode, minimal.returncode) == (0, 0), ours.stdout + minimal.stderr


# -- §5.1 step 7: the -wal header SQLite accepts ---------------------------------------


def _sqlite_wal(directory: Path, size: int) -> bytes:
    """A -wal written by SQLite itself, with pages of `size` bytes and two commits."""
    db = directory / f"w{size}.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA page_size = {size}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    wal = Path(f"{db}-wal").read_bytes()
    conn.close()
    return wal


@pytest.mark.parametrize("size", [512, 4096, 65536])
def test_sqlite_wal_headers_are_valid_and_only_partial_frames_are_torn(tmp_path, size):
    wal = _sqlite_wal(tmp_path, size)
    assert page_size(wal[:32]) == size
    frame = 24 + size
    assert (len(wal) - 32) % frame == 0 and len(wal) > 32
    for cut in (0, 32, 32 + frame, len(wal)):
        assert not is_torn(cut, wal[:32]), cut
    for cut in (1, 31, 33, 32 + frame - 1, len(wal) - 1):
        assert is_torn(cut, wal[:32]), cut


def test_a_wal_header_with_any_field_changed_is_ignored(tmp_path):
    header = _sqlite_wal(tmp_path, 4096)[:32]
    for offset in range(24):  # every byte the checksum covers, and the checksum itself
        bad = bytearray(header)
        bad[offset] ^= 0x10
        assert page_size(bytes(bad)) is None, offset
    for offset in (24, 31):
        bad = bytearray(header)
        bad[offset] ^= 1
        assert page_size(bytes(bad)) is None, offset


def test_a_big_endian_wal_header_is_read(tmp_path):
    """Magic 0x377f0683: the checksum words are big-endian (SQLite on such machines)."""
    little = _sqlite_wal(tmp_path, 4096)[:24]
    head = struct.pack(">I", 0x377F0683) + little[4:24]
    s0 = s1 = 0
    for i in range(0, 24, 8):  # written out here, apart from wal.py
        a, b = struct.unpack(">2I", head[i : i + 8])
        s0 = (s0 + a + s1) & 0xFFFFFFFF
        s1 = (s1 + b + s0) & 0xFFFFFFFF
    header = head + struct.pack(">2I", s0, s1)
    assert page_size(header) == 4096
    assert is_torn(32 + 100, header) and not is_torn(32 + 4120, header)


def test_page_size_one_is_not_65536_in_a_wal(tmp_path):
    """The database header writes 65536 as 1; the WAL header never does (SQLite
    refuses a WAL whose page size is not a power of two from 512 to 65536)."""
    header = bytearray(_sqlite_wal(tmp_path, 65536)[:32])
    header[8:12] = struct.pack(">I", 1)
    assert page_size(bytes(header)) is None
    assert not is_torn(32 + 65536 + 24, bytes(header)) and not is_torn(40, bytes(header))


def test_both_verifiers_judge_every_wal_alike(tmp_path):
    real = _sqlite_wal(tmp_path, 1024)
    rng = random.Random(10)
    samples = [real[:n] for n in range(0, 40)] + [real, real[:-1], real + b"x"]
    samples += [bytes(rng.getrandbits(8) for _ in range(rng.choice([4, 32, 33, 600])))
                for _ in range(300)]  # fmt: skip
    for wal in samples:
        assert bool(MINIMAL.torn(wal[:32], len(wal))) == is_torn(len(wal), wal[:32]), wal[:32].hex()


def _returns_within(fn: Any, seconds: float) -> Any:
    box: list[Any] = []
    t = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert box, "did not return: it blocked"
    return box[0]


def test_a_sidecar_that_is_not_a_regular_file_is_not_torn(tmp_path):
    fifo = tmp_path / "fifo.ledger-wal"
    os.mkfifo(fifo)
    assert _returns_within(lambda: wal_is_torn(fifo), 10) is False
    directory = tmp_path / "dir.ledger-wal"
    directory.mkdir()
    assert wal_is_torn(directory) is False
    dangling = tmp_path / "link.ledger-wal"
    dangling.symlink_to(tmp_path / "nowhere")
    assert wal_is_torn(dangling) is False
    torn = tmp_path / "torn.ledger-wal"
    torn.write_bytes(b"\x37\x7f\x06\x82")
    link = tmp_path / "link2.ledger-wal"
    link.symlink_to(torn)
    assert wal_is_torn(torn) and not wal_is_torn(link)  # a link is never read


@pytest.mark.parametrize("kind", ["fifo", "directory", "dangling_link", "link_to_torn_wal"])
def test_a_sidecar_of_another_type_is_never_opened_but_is_a_sidecar(kit, ledger_dir, trust, kind):
    """§5.1 step 1, §5.5: a -wal that is not a regular file (a link included) is
    SIDECAR in both verifiers, is never opened, and cannot hang either of them."""
    path = _sealed(kit, ledger_dir)
    wal = Path(f"{path}-wal")
    if kind == "fifo":
        os.mkfifo(wal)
    elif kind == "directory":
        wal.mkdir()
    elif kind == "dangling_link":
        wal.symlink_to(ledger_dir / "nowhere")
    else:  # read, it would be TORN_WRITE; as a link it is not read at all
        (ledger_dir / "torn").write_bytes(b"\x37\x7f\x06\x82")
        wal.symlink_to(ledger_dir / "torn")
    ours = subprocess.run([CLEANROOM, "verify", str(path), "--trust", str(trust), "--json"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    minimal = subprocess.run([sys.executable, str(VERIFY_MINIMAL), str(path), f"--trust={trust}"],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    codes = {f["code"] for f in json.loads(ours.stdout)["ledgers"][0]["findings"]}
    assert (ours.returncode, codes) == (0, {"SIDECAR"}), ours.stdout + ours.stderr
    assert minimal.stdout.strip() == "INTACT first_bad_seq=- codes=SIDECAR", minimal.stderr


# -- §3.4: nested shapes are exact, in both verifiers -----------------------------------

KEY, SIG, HASH, ID = "ab" * 32, "cd" * 64, "ef" * 32, "01" * 16
START = {
    "cert": "{}",
    "cert_sig": SIG,
    "reviewer": {"name": "Ada", "org": "Agency", "key": KEY},
    "snapshot": {"id": "s", "root": "r"},
    "prev_session": {"ledger": ID, "seq": 3, "head": HASH},
    "software": "cleanroom",
}
RESUME = {"after_seq": 3, "after_head": HASH, "reason": "crash"}
END = {"reason": "r", "entries": 4, "by_kind": {"view": 3}, "countersign": {"key": KEY, "sig": SIG}}


def _with(payload: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    if len(path) == 1:
        return {**payload, path[0]: value}
    return {**payload, path[0]: _with(payload[path[0]], path[1:], value)}


SHAPES: list[tuple[str, dict[str, Any], bool]] = [
    ("session_start", START, True),
    ("session_start", _with(START, ("reviewer", "key"), None), True),
    ("session_start", _with(START, ("snapshot",), None), True),
    ("session_start", _with(START, ("prev_session",), None), True),
    ("session_start", _with(START, ("reviewer", "name"), 5), False),
    ("session_start", _with(START, ("reviewer", "key"), ""), False),
    ("session_start", _with(START, ("reviewer", "key"), KEY.upper()), False),
    ("session_start", _with(START, ("reviewer", "extra"), 1), False),
    ("session_start", _with(START, ("cert_sig",), SIG.upper()), False),
    ("session_start", _with(START, ("cert_sig",), SIG[:-2]), False),
    ("session_start", _with(START, ("prev_session", "seq"), True), False),
    ("session_start", _with(START, ("prev_session", "head"), HASH.upper()), False),
    ("session_start", _with(START, ("snapshot", "root"), 1), False),
    ("session_start", _with(START, ("reviewer",), None), False),
    ("session_resume", RESUME, True),
    ("session_resume", _with(RESUME, ("after_seq",), True), False),
    ("session_resume", _with(RESUME, ("after_head",), HASH.upper()), False),
    ("session_end", END, True),
    ("session_end", _with(END, ("countersign",), None), True),
    ("session_end", _with(END, ("by_kind",), {}), True),
    ("session_end", _with(END, ("entries",), True), False),
    ("session_end", _with(END, ("by_kind", "view"), True), False),
    ("session_end", _with(END, ("by_kind", "view"), "3"), False),
    ("session_end", _with(END, ("by_kind",), [3]), False),
    ("session_end", _with(END, ("countersign", "key"), KEY.upper()), False),
    ("session_end", _with(END, ("countersign", "sig"), SIG.upper()), False),
    ("session_end", _with(END, ("countersign", "extra"), 1), False),
    ("view", {"anything": [True, None, {"x": 1}]}, True),
]


@pytest.mark.parametrize(("kind", "payload", "fits"), SHAPES)
def test_shapes_are_exact_in_both_verifiers(kind, payload, fits):
    assert (misfit(kind, payload) is None) == fits
    raw = canonical_json(payload)
    shape = MINIMAL.PAYLOADS.get(kind, dict)
    assert (MINIMAL.parse_canonical(raw, shape) is not None) == fits


# -- the docs' claims ---------------------------------------------------------------------


def test_findings_are_ordered_as_verdict_md_says():
    """verdict.md: by seq, findings without one first; within a seq tamper, then
    incomplete, then warning, then by code. The first bad entry need not be first."""
    rng = random.Random(4)
    codes = sorted(CODES)
    findings = [Finding(rng.choice([None, 0, 1, 2, 3]), rng.choice(codes), "m")
                for _ in range(200)]  # fmt: skip
    rank = {Severity.TAMPER: 0, Severity.INCOMPLETE: 1, Severity.WARNING: 2}
    listed = Verdict.from_findings("x", findings, {}).findings
    keys = [(f.seq is not None, f.seq or 0, rank[f.severity], f.code) for f in listed]
    assert keys == sorted(keys) and len(listed) == len(set(findings))
    early_warning = [Finding(None, "UNSEALED", "m"), Finding(1, "CLOCK_STEP", "m"),
                     Finding(2, "SIGNATURE", "m")]  # fmt: skip
    listed = Verdict.from_findings("x", early_warning, {}).findings
    assert [f.code for f in listed] == ["UNSEALED", "CLOCK_STEP", "SIGNATURE"]


def _sealed(kit, directory: Path, countersign: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    ledger = kit.new_ledger(directory, views=2)
    ledger.seal(countersigner=kit.reviewer if countersign else None)
    return ledger.path


def test_a_missing_countersignature_is_a_warning_on_an_intact_ledger(kit, ledger_dir, trust):
    """threat-model.md, guide-vendor.md: NOT_COUNTERSIGNED, a warning; status INTACT."""
    path = _sealed(kit, ledger_dir, countersign=False)
    out = subprocess.run([CLEANROOM, "verify", str(path), "--trust", str(trust), "--json"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    doc = json.loads(out.stdout)
    findings = doc["ledgers"][0]["findings"]
    assert out.returncode == 0 and doc["status"] == "INTACT"
    assert [(f["code"], f["severity"]) for f in findings] == [("NOT_COUNTERSIGNED", "warning")]


def test_receipts_meet_their_ledger_by_id_not_by_file_name(kit, tmp_path, trust):
    """guide-vendor.md, threat-model.md: with several ledgers a receipt is matched by
    the ledger id inside it; a renamed ledger still meets its receipt, and a receipt
    whose ledger is not among those given is RECEIPT_LEDGER."""
    a = _sealed(kit, tmp_path / "a")
    b = _sealed(kit, tmp_path / "b")
    receipt = tmp_path / "a.receipt.json"
    receipt.write_text(receipt_path(a).read_text())
    both = tmp_path / "both"
    both.mkdir()
    renamed = both / "zz-renamed.ledger"
    renamed.write_bytes(a.read_bytes())
    conn = sqlite3.connect(renamed)  # the seal cut off: only the receipt shows it
    conn.execute("DELETE FROM entries WHERE seq = (SELECT max(seq) FROM entries)")
    conn.commit()
    conn.close()
    (both / b.name).write_bytes(b.read_bytes())

    def verify(*paths: Path) -> dict[str, Any]:
        args = [CLEANROOM, "verify", *map(str, paths), "--trust", str(trust)]
        out = subprocess.run([*args, "--receipt", str(receipt), "--json"],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        return json.loads(out.stdout)

    doc = verify(both)
    by_name = {Path(v["path"]).name: v for v in doc["ledgers"]}
    codes = {f["code"] for f in by_name["zz-renamed.ledger"]["findings"]}
    assert "WITNESS_BEYOND_END" in codes, by_name
    assert not by_name[b.name]["findings"]
    assert "RECEIPT_LEDGER" not in {f["code"] for f in doc["sessions"]}
    doc = verify(b, _sealed(kit, tmp_path / "c"))  # the receipt's ledger is absent
    assert "RECEIPT_LEDGER" in {f["code"] for f in doc["sessions"]}
    assert all(not v["findings"] for v in doc["ledgers"])


# -- every vector: the same codes from both verifiers ----------------------------------


def test_both_verifiers_report_the_same_codes_on_every_vector():
    """Not only status and first bad entry (tests/test_vectors.py): the spec now
    decides what is checked after an ENCODING finding, in gaps and on empty
    ledgers, so the codes agree too. The one latitude it leaves: EMPTY may or may
    not accompany CORRUPT (§5.1 step 3)."""
    from tests.test_vectors import ENTRIES, MINIMAL_LINE, VECTORS, minimal_line, verify_vector

    differ = {}
    for entry in ENTRIES:
        if not entry["trust"] or entry["others"]:
            continue  # verify_minimal needs a key and checks one ledger
        ours = set(verify_vector(VECTORS, entry).codes())
        match = MINIMAL_LINE.fullmatch(minimal_line(entry))
        assert match, entry["case"]
        theirs = set(match.group(3).split(",")) - {"-"}
        if "CORRUPT" in ours & theirs:
            ours, theirs = ours - {"EMPTY"}, theirs - {"EMPTY"}
        if ours != theirs:
            differ[entry["case"]] = (sorted(ours - theirs), sorted(theirs - ours))
    assert not differ, differ
