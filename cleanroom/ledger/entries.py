"""Check a run of ledger rows against their predecessors (spec §5.1, step 5).

`check_rows` is the per-entry verifier. It is a pure function of the rows, the
row before them and the session context, so a ledger can be cut into slices and
checked on every core with exactly the result of one pass. It takes any iterable,
so a worker can check rows as it reads them.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .encoding import (
    ZERO32,
    Body,
    EncodingError,
    countersign_message,
    decode_body,
    entry_hash,
    signed_message,
)
from .findings import PER_CODE, Finding
from .keys import verify_signature
from .load import Row

CLOCK_STEP_US = 2_000_000
STRUCTURAL_FIELDS = {
    "session_start": {"cert", "cert_sig", "reviewer", "snapshot", "prev_session", "software"},
    "session_resume": {"after_seq", "after_head", "reason"},
    "session_end": {"reason", "entries", "by_kind", "countersign"},
}
NOTED_KINDS = ("session_resume", "session_end", "alert")


@dataclass(frozen=True)
class Context:
    """What entry 0 establishes for every other entry."""

    ledger: bytes | None
    workstation_key: bytes | None
    reviewer_key: bytes | None
    witness_seqs: frozenset[int] = frozenset()


class State(NamedTuple):
    """The facts about one row that its successor is checked against."""

    seq: int
    hash: bytes | None
    next_key: bytes | None
    kind: str | None
    wall_us: int | None
    mono_us: int | None
    boot: bytes | None


@dataclass
class Noted:
    """An entry the summary lists: resumes, the seal, alerts."""

    seq: int
    kind: str
    wall_us: int
    payload: dict[str, Any]
    counts_before: Counter[str] | None = None  # slice-local, for session_end totals


@dataclass
class SliceResult:
    findings: list[Finding] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    hashes: dict[int, bytes] = field(default_factory=dict)
    noted: list[Noted] = field(default_factory=list)
    first_wall: int | None = None
    last: State | None = None
    rows: int = 0  # rows checked, decodable or not
    omitted: Counter[str] = field(default_factory=Counter)  # findings past PER_CODE
    listed: Counter[str] = field(default_factory=Counter)

    def add(self, finding: Finding) -> None:
        """Keep the first PER_CODE findings of each code; count the rest."""
        if self.listed[finding.code] < PER_CODE:
            self.listed[finding.code] += 1
            self.findings.append(finding)
        else:
            self.omitted[finding.code] += 1


def state_of(row: Row) -> tuple[Body | None, State | None, str | None]:
    """Decode a row as far as possible: (body, state, why it failed to decode)."""
    seq, body, sig = row
    if type(seq) is not int:
        return None, None, f"seq is {type(seq).__name__}, not an integer"
    if not isinstance(body, bytes) or not isinstance(sig, bytes) or len(sig) != 64:
        return None, State(seq, None, None, None, None, None, None), "body or sig is not a blob"
    digest = entry_hash(body, sig)
    try:
        b = decode_body(body)
    except EncodingError as exc:
        # The header may still name the successor's key: keep checking after a bad payload.
        nk = body[96:128] if len(body) >= 128 else None
        return None, State(seq, digest, nk, None, None, None, None), str(exc)
    return b, State(seq, digest, b.next_key, b.kind, b.wall_us, b.mono_us, b.boot), None


def check_slice(rows: list[Row], start: int, stop: int, ctx: Context) -> SliceResult:
    """Check rows[start:stop], each against the row before it (rows[start-1] if any)."""
    before = rows[start - 1] if start > 0 else None
    return check_rows(itertools.islice(rows, start, stop), before, ctx, start)


def check_rows(
    rows: Iterable[Row], before: Row | None, ctx: Context, first_index: int = 0
) -> SliceResult:
    """Check `rows` (consecutive rows in seq order), the first against `before`, the
    row read just before them (None: they are the first rows). `first_index` is the
    position of the first row, for naming a row whose seq is not a number."""
    out = SliceResult()
    prev = state_of(before)[1] if before is not None else None
    i = first_index - 1  # after the loop: the index of the last row
    for i, row in enumerate(rows, first_index):
        body, state, why = state_of(row)
        if state is None:
            out.add(Finding(None, "ENCODING", f"row {i}: {why}"))
            continue
        _check_entry(row, body, state, why, prev, ctx, out)
        if body is not None:
            if out.first_wall is None:
                out.first_wall = body.wall_us
            if body.kind in NOTED_KINDS:
                before_end = Counter(out.counts) if body.kind == "session_end" else None
                out.noted.append(
                    Noted(state.seq, body.kind, body.wall_us, body.payload, before_end)
                )
            out.counts[body.kind] += 1
        if state.seq in ctx.witness_seqs and state.hash is not None:
            out.hashes[state.seq] = state.hash
        prev = state
    out.last = prev
    out.rows = i + 1 - first_index
    return out


def _check_entry(
    row: Row,
    body: Body | None,
    me: State,
    why: str | None,
    prev: State | None,
    ctx: Context,
    out: SliceResult,
) -> None:
    seq = me.seq
    add = out.add
    expected = 0 if prev is None else prev.seq + 1
    if seq != expected:  # named by the first missing seq: that is the first bad entry
        add(Finding(expected, "SEQ_GAP", f"entries {expected}..{seq - 1} are missing"))
    if prev is not None and prev.kind == "session_end":
        add(Finding(seq, "AFTER_SEAL", f"entry {seq} follows the session_end at {prev.seq}"))
    if body is None:
        add(Finding(seq, "ENCODING", f"entry {seq}: {why}"))
        return
    if body.seq != seq:
        add(Finding(seq, "SEQ_MISMATCH", f"row {seq} holds an entry signed as seq {body.seq}"))
    if ctx.ledger is not None and body.ledger != ctx.ledger:
        add(Finding(seq, "WRONG_LEDGER", f"entry {seq} belongs to ledger {body.ledger.hex()}"))
    # The first row links to nothing unless it is entry 0 (a missing start is SEQ_GAP).
    want_prev = (ZERO32 if seq == 0 else None) if prev is None else prev.hash
    if want_prev is not None and body.prev != want_prev:
        add(Finding(seq, "CHAIN", f"entry {seq} does not link to the hash of the entry before"))
    _check_signature(row, body, seq, prev, ctx, add)
    fields = STRUCTURAL_FIELDS.get(body.kind)
    if fields is not None and set(body.payload) != fields:
        add(Finding(seq, "ENCODING", f"the {body.kind} payload fields differ from the spec"))
    if prev is not None and prev.wall_us is not None:
        _check_time(body, seq, prev, add)
    if body.kind == "session_resume":
        _check_resume(body, seq, prev, add)
    elif body.kind == "session_end":
        _check_end(body, seq, ctx, add)
    elif body.next_key == ZERO32:
        add(Finding(seq, "ENCODING", f"entry {seq} ({body.kind}) names no successor key"))


def _check_signature(
    row: Row, body: Body, seq: int, prev: State | None, ctx: Context, add: Any
) -> None:
    if prev is None and body.kind != "session_start":
        add(Finding(seq, "START_MISSING", f"the first entry is a {body.kind}, not a session_start"))
        return
    if prev is not None and body.kind == "session_start":
        add(Finding(seq, "START_REPEATED", f"a session_start at entry {seq}"))
    if prev is None or body.kind == "session_resume":
        key, who = ctx.workstation_key, "the workstation key"
    else:
        key, who = prev.next_key, None
    if key is None or key == ZERO32:
        if prev is None or prev.kind != "session_end":  # AFTER_SEAL already says it
            add(Finding(seq, "SIGNATURE", f"entry {seq}: no key is known to check its signature"))
        return
    if not verify_signature(key, row[2], signed_message(row[1])):  # type: ignore[arg-type]
        who = who or f"the key named by entry {prev.seq}"  # type: ignore[union-attr]
        add(Finding(seq, "SIGNATURE", f"entry {seq} ({body.kind}) is not signed by {who}"))


def _check_time(body: Body, seq: int, prev: State, add: Any) -> None:
    if body.boot != prev.boot:
        if body.kind != "session_resume":
            add(Finding(seq, "BOOT_CHANGED", f"entry {seq}: new boot without a session_resume"))
        return
    assert prev.mono_us is not None and prev.wall_us is not None
    d_mono = body.mono_us - prev.mono_us
    if d_mono < 0:
        add(Finding(seq, "TIME_REVERSED", f"entry {seq}: monotonic time went back {-d_mono} µs"))
        return
    step = (body.wall_us - prev.wall_us) - d_mono
    if abs(step) > CLOCK_STEP_US:
        add(Finding(seq, "CLOCK_STEP", f"entry {seq}: wall clock stepped {step / 1e6:+.1f} s"))


def _check_resume(body: Body, seq: int, prev: State | None, add: Any) -> None:
    p = body.payload
    add(Finding(seq, "RESUMED", f"the session was resumed at entry {seq} ({p.get('reason')!s})"))
    if prev is None or p.get("after_seq") != prev.seq or p.get("after_head") != _hex(prev.hash):
        add(Finding(seq, "RESUME", f"the resume at {seq} does not name the entry before it"))


def _check_end(body: Body, seq: int, ctx: Context, add: Any) -> None:
    p = body.payload
    if body.next_key != ZERO32:
        add(Finding(seq, "ENCODING", f"the session_end at {seq} names a successor key"))
    cs = p.get("countersign")
    if cs is None:
        if ctx.reviewer_key is not None:
            add(
                Finding(seq, "NOT_COUNTERSIGNED", "the reviewer named at start did not countersign")
            )
        return
    try:
        key, sig = bytes.fromhex(cs["key"]), bytes.fromhex(cs["sig"])
    except (TypeError, KeyError, ValueError):
        add(Finding(seq, "COUNTERSIGN", "the countersignature is malformed"))
        return
    if ctx.reviewer_key is None or key != ctx.reviewer_key:
        add(Finding(seq, "COUNTERSIGN", "countersigned by a key the session_start did not name"))
    elif not verify_signature(key, sig, countersign_message(body.ledger, body.seq, body.prev)):
        add(Finding(seq, "COUNTERSIGN", "the reviewer's countersignature does not verify"))


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()
