"""Cases the spec decides where the two verifiers once disagreed (issue 10, §4).

Each is a `Case` as in tests/tamper_cases.py, exported as a test vector by
scripts/gen_vectors.py, so `cleanroom verify` and scripts/verify_minimal.py are
both run on it (tests/test_vectors.py). The expectation is reasoned from
docs/ledger-format.md, whose section each case names; never copied from a run.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from cleanroom.ledger.encoding import ZERO32, countersign_message, signed_message
from cleanroom.ledger.keys import raw_public
from cleanroom.ledger.wal import header_checksum
from cleanroom.ledger.witness import Receipt, witness_code
from tests.ledgerkit import CERT_END, Kit, body_of, writable
from tests.tamper_cases import (
    INTACT,
    UNSEALED_ONLY,
    Case,
    Expect,
    Scene,
    append_forged,
    attacker_key,
    crashed,
    drop_rows,
    end_payload,
    expect,
    hash_of,
    next_body,
    put_row,
    rechain,
    rows_of,
    seal,
    sealed,
    shift_bytes_into_body,
    tampered,
    unsealed,
    view,
)

# -- the tampering ------------------------------------------------------------------


def resume_naming_no_successor(kit: Kit, scene: Scene) -> None:
    """§3.3: only a session_end names 32 zero bytes; a resume must name a successor."""
    last = rows_of(scene.path)[-1][0]
    payload = {"after_seq": last, "after_head": hash_of(scene.path, last).hex(), "reason": "crash"}
    body = next_body(scene.path, "session_resume", payload, ZERO32).encode()
    put_row(scene.path, last + 1, body, kit.workstation.key.sign(signed_message(body)))


def seal_counting_with_booleans(kit: Kit, scene: Scene) -> None:
    """§3.4: `entries` and the `by_kind` counts are integers; `true` is not 1."""
    seq = len(rows_of(scene.path))
    payload = end_payload(scene.path)
    payload["entries"] = True
    payload["by_kind"] = {kind: True for kind in payload["by_kind"]}
    append_forged(scene.path, "session_end", payload, kit.signer_of(scene.path, seq))


def restart_with(kit: Kit, scene: Scene, change: Any) -> None:
    """Rewrite session_start's payload with `change(payload)`, signed with the stolen
    workstation key, and re-chain the rest (rechain drops the countersignature)."""
    p = body_of(scene.path, 0).payload
    rechain(scene.path, 0, kit.workstation.key, payload=change(p))


def seal_countersigned_with(kit: Kit, scene: Scene, key_hex: str) -> None:
    """Seal with a countersignature that verifies under the reviewer's key, naming
    that key as `key_hex` (§1, §3.4: hex is lowercase)."""
    path, seq = scene.path, len(rows_of(scene.path))
    message = countersign_message(body_of(path, 0).ledger, seq, hash_of(path, seq - 1))
    cs = {"key": key_hex, "sig": kit.reviewer.sign(message).hex()}
    append_forged(path, "session_end", end_payload(path, cs), kit.signer_of(path, seq))


def receipt_with_code_of(kit: Kit, scene: Scene, seq: int) -> None:
    """A receipt whose head is right but whose `witness` is the code of entry `seq`."""
    r = scene.receipts[0]
    scene.receipts = [Receipt(r.ledger, r.seq, r.head, witness_code(hash_of(scene.path, seq)))]


def unreadable_naming_another_key(kit: Kit, scene: Scene, seq: int) -> None:
    """Entry `seq` with a payload that is not canonical and another next_key, left
    unsigned: being unreadable (§5.1.1), the key it names is not believed, so the
    entry after it is not judged by that key (no SIGNATURE there)."""
    old = body_of(scene.path, seq)
    other = raw_public(attacker_key("unreadable"))
    header = replace(old, payload={}, next_key=other).encode()[: -len(b"{}")]
    payload = b'{"blob": "' + b"ab" * 32 + b'", "first": 10, "last": 50}'
    put_row(scene.path, seq, header + payload, rows_of(scene.path)[seq][2])


def view_with_payload(kit: Kit, scene: Scene, payload: bytes) -> None:
    """§3.1: a `view` entry whose payload is exactly `payload`, byte for byte, signed
    by the key due and naming a successor: only its canonicity is in question."""
    path = scene.path
    seq = rows_of(path)[-1][0] + 1
    held = attacker_key(f"{path.name}/{seq}")
    header = next_body(path, "view", {}, raw_public(held)).encode()[: -len(b"{}")]
    body = header + payload
    put_row(path, seq, body, kit.signer_of(path, seq).sign(signed_message(body)))


# Payloads whose canonicity a fast parser could misjudge (ADR 0006: orjson proves
# most payloads canonical, and leaves these corners to RFC 8785 itself). Reasoned
# from §3.1 and RFC 8785: keys sort by UTF-16 code units (U+1F600 is D83D DE00,
# before U+FFFF); only ", \ and controls are escaped, controls below 0x20 as
# \b \t \n \f \r or \u00xx in lowercase; U+2028 is written raw.
CANONICAL_CORNERS = {
    "utf16_key_order": '{"a":3,"\U0001f600":1,"\uffff":2}',
    "u2028_raw": '{"blob":"\u2028\u2029","first":1,"last":2}',
    "controls_escaped": '{"blob":"\\b\\t\\n\\f\\r\\u001f\\u0000\x7f","first":1}',
    "largest_integers": '{"first":-9007199254740991,"last":9007199254740991}',
    "non_ascii_keys": '{"caf\u00e9":"\u0436","na\u00efve":"\ud7ff"}',
}
NOT_CANONICAL = {
    "code_point_key_order": '{"a":3,"\uffff":2,"\U0001f600":1}',
    "u2028_escaped": '{"blob":"\\u2028"}',
    "control_uppercase_hex": '{"blob":"\\u001F"}',
    "control_long_form": '{"blob":"\\u0008"}',
    "del_escaped": '{"blob":"\\u007f"}',
    "lone_surrogate": '{"blob":"\\ud800"}',
    "surrogate_pair_escaped": '{"blob":"\\ud83d\\ude00"}',
    "integer_2_53": '{"first":9007199254740992}',
    "integer_2_64": '{"first":18446744073709551616}',
    "minus_zero": '{"first":-0}',
    "float_integral": '{"first":1.0}',
    "exponent": '{"first":1e2}',
    "duplicate_key": '{"first":1,"first":1}',
    "slash_escaped": '{"blob":"a\\/b"}',
}
CANONICITY_CASES = [
    Case(
        f"spec_payload_{name}",
        (20,),
        unsealed,
        partial(view_with_payload, payload=text.encode()),
        UNSEALED_ONLY,
    )
    for name, text in CANONICAL_CORNERS.items()
] + [
    Case(
        f"spec_payload_{name}",
        (20,),
        unsealed,
        partial(view_with_payload, payload=text.encode()),
        tampered(4, "ENCODING", also=("UNSEALED",)),
    )
    for name, text in NOT_CANONICAL.items()
]


def wal_header(page_size: int, magic: int = 0x377F0682, checksum: bool = True) -> bytes:
    head = struct.pack(">6I", magic, 3007000, page_size, 0, 0x1234, 0x5678)
    s0, s1 = header_checksum(head) if checksum else (0, 0)
    return head + struct.pack(">2I", s0, s1)


def plant_wal(kit: Kit, scene: Scene, header: bytes, length: int) -> None:
    """Beside the ledger, a -wal of `length` bytes starting with `header`, then 0xA5s."""
    Path(f"{scene.path}-wal").write_bytes(header + b"\xa5" * (length - len(header)))


def resumed_after_certificate_ended(kit: Kit, root: Path) -> Scene:
    """A crash, then a resume a day after the certificate's not_after (§5.1 step 4)."""
    scene = crashed(kit, root)
    kit.clock.boot = b"\x44" * 16
    kit.clock.mono_us = 5_000_000
    kit.clock.wall_us = (CERT_END + 86_400) * 1_000_000
    ledger = kit.resume(scene.path)
    ledger.append(view(9))
    scene.receipts = [seal(kit, ledger)]
    return scene


def leave_in_wal_mode(kit: Kit, scene: Scene) -> None:
    """As a seal whose checkpoint failed leaves it: the header still says WAL."""
    with writable(scene.path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")


# -- the registry -------------------------------------------------------------------

SIDECAR_ONLY = Expect(INTACT, codes=frozenset({"SIDECAR"}))
NO_RECEIPT = partial(sealed, receipt=False)

# An unreadable session_start (§5.1: an ENCODING entry is unreadable) sets up no
# certificate, ledger id or reviewer key; the entries after it are checked for
# CHAIN only, and the seal's by_kind counts a session_start that is not readable.
START_UNREADABLE = tampered(0, "ENCODING", also=("TOTALS",))

SPEC_CASES: list[Case] = [
    Case(
        "spec_resume_names_no_successor",
        (24,),
        unsealed,
        resume_naming_no_successor,
        expect("TAMPERED", 4, ("ENCODING", "RESUMED"), "UNSEALED"),
    ),
    Case(
        "spec_totals_are_booleans",
        (29,),
        partial(unsealed, views=0),
        seal_counting_with_booleans,
        tampered(1, "ENCODING", also=("UNSEALED",)),
    ),
    Case(
        "spec_cert_sig_uppercase",
        (20,),
        NO_RECEIPT,
        partial(restart_with, change=lambda p: {**p, "cert_sig": p["cert_sig"].upper()}),
        START_UNREADABLE,
    ),
    Case(
        "spec_countersign_key_uppercase",
        (29,),
        unsealed,
        lambda kit, s: seal_countersigned_with(kit, s, raw_public(kit.reviewer).hex().upper()),
        tampered(4, "ENCODING", also=("UNSEALED",)),
    ),
    Case(
        "spec_reviewer_key_empty",
        (29,),
        NO_RECEIPT,
        partial(restart_with, change=lambda p: {**p, "reviewer": {**p["reviewer"], "key": ""}}),
        START_UNREADABLE,
    ),
    Case(
        "spec_reviewer_name_not_a_string",
        (29,),
        NO_RECEIPT,
        partial(restart_with, change=lambda p: {**p, "reviewer": {**p["reviewer"], "name": 5}}),
        START_UNREADABLE,
    ),
    Case(
        "spec_receipt_witness_differs",
        (22,),
        sealed,
        partial(receipt_with_code_of, seq=3),
        tampered(4, "WITNESS_MISMATCH"),
    ),
    # §5.1 step 7 and §4: session_end is in, but sealing never finished the file.
    Case(
        "spec_seal_unfinished",
        (26,),
        NO_RECEIPT,
        leave_in_wal_mode,
        expect("INCOMPLETE", None, ("SEAL_UNFINISHED",)),
    ),
    # §5.1 step 7: SQLite ignores a -wal whose header is invalid; it cannot be torn.
    Case(
        "spec_wal_page_size_one_whole_frames",
        (26, 28),
        sealed,
        partial(plant_wal, header=wal_header(1), length=32 + 65536 + 24),
        SIDECAR_ONLY,
    ),
    Case(
        "spec_wal_bad_checksum_partial_frame",
        (26, 28),
        sealed,
        partial(plant_wal, header=wal_header(4096, checksum=False), length=32 + 100),
        SIDECAR_ONLY,
    ),
    Case(
        "spec_wal_big_endian_partial_frame",
        (28,),
        sealed,
        partial(plant_wal, header=wal_header(4096, magic=0x377F0683), length=32 + 4120 + 100),
        expect("INCOMPLETE", None, ("TORN_WRITE",), "SIDECAR"),
    ),
    Case(
        "spec_wal_cut_inside_header",
        (28,),
        sealed,
        partial(plant_wal, header=b"\x37\x7f\x06\x82", length=20),
        expect("INCOMPLETE", None, ("TORN_WRITE",), "SIDECAR"),
    ),
    # §5.1 step 6: a witness at a seq inside a gap, or on a row without an entry
    # hash (§3, framing), mismatches.
    Case(
        "spec_witness_in_gap",
        (3, 22),
        partial(sealed, witness=(2,), receipt=False),
        partial(drop_rows, seqs=(2,)),
        tampered(2, "SEQ_GAP", "WITNESS_MISMATCH", also=("CHAIN", "SIGNATURE", "TOTALS")),
    ),
    Case(
        "spec_witness_on_unframed_row",
        (21,),
        partial(sealed, witness=(2,), receipt=False),
        partial(shift_bytes_into_body, seq=2),
        tampered(2, "ENCODING", "WITNESS_MISMATCH", also=("TOTALS",)),
    ),
    Case(
        "spec_unreadable_entry_names_another_key",
        (20, 24),
        NO_RECEIPT,
        partial(unreadable_naming_another_key, seq=2),
        tampered(2, "ENCODING", also=("CHAIN", "TOTALS")),
    ),
    Case(
        "spec_resume_after_certificate_ended",
        (11, 14),
        resumed_after_certificate_ended,
        None,
        expect("TAMPERED", 4, ("CERT_EXPIRED", "RESUMED")),
    ),
    *CANONICITY_CASES,
]
