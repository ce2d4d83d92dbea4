"""Check a run of ledger rows against their predecessors (spec §5.1, step 5).

`check_rows` is the per-entry verifier. It is a pure function of the rows, the
row before them and the session context, so a ledger can be cut into slices and
checked on every core with exactly the result of one pass. It takes any iterable,
so a worker can check rows as it reads them.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .ed25519 import DETACHED as _DETACHED
from .encoding import (
    ENTRY_DOMAIN,
    HEADER,
    MAGIC,
    MAX_BODY,
    SIG_DOMAIN,
    ZERO32,
    Body,
    EncodingError,
    canonical_object,
    countersign_message,
    decode_body,
    entry_hash,
    signed_message,
)
from .findings import PER_CODE, Finding
from .keys import verify_signature
from .load import Row
from .shapes import PAYLOADS, misfit

CLOCK_STEP_US = 2_000_000
NOTED_KINDS = ("session_resume", "session_end", "alert")


@dataclass(frozen=True)
class Context:
    """What entry 0 establishes for every other entry."""

    ledger: bytes | None
    workstation_key: bytes | None
    reviewer_key: bytes | None
    witness_seqs: frozenset[int] = frozenset()
    # The certificate's validity in wall-clock µs: every workstation-signed entry
    # (entry 0 and each session_resume) must lie inside it.
    valid_us: tuple[int, int] | None = None


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
    """Decode a row as far as possible: (body, state, why it failed to decode).

    An entry that fails the layout (spec §3.1) or its payload's shape (§3.4) is
    unreadable: only its hash is kept. Nothing it says is believed, not even the
    successor key in its header, so its successor's signature is not checked."""
    seq, body, sig = row
    if type(seq) is not int:
        return None, None, f"seq is {type(seq).__name__}, not an integer"
    if not isinstance(body, bytes) or not isinstance(sig, bytes) or len(sig) != 64:
        # Not framed as spec §3 says: no entry hash (nor, for a body over 1 MiB, its bytes).
        return None, State(seq, None, None, None, None, None, None), "body or sig is not framed"
    if len(body) > MAX_BODY:
        return None, State(seq, None, None, None, None, None, None), "body over 1 MiB"
    digest = entry_hash(body, sig)
    try:
        b = decode_body(body)
    except EncodingError as exc:
        return None, State(seq, digest, None, None, None, None, None), str(exc)
    why = misfit(b.kind, b.payload)
    if why is not None:
        return None, State(seq, digest, None, None, None, None, None), why
    return b, State(seq, digest, b.next_key, b.kind, b.wall_us, b.mono_us, b.boot), None


def check_slice(rows: list[Row], start: int, stop: int, ctx: Context) -> SliceResult:
    """Check rows[start:stop], each against the row before it (rows[start-1] if any)."""
    before = rows[start - 1] if start > 0 else None
    return check_rows(itertools.islice(rows, start, stop), before, ctx, start)


def check_rows(
    rows: Iterable[Row],
    before: Row | None,
    ctx: Context,
    first_index: int = 0,
    judged: Callable[[Row, dict[str, Any] | None], object] | None = None,
) -> SliceResult:
    """Check `rows` (consecutive rows in seq order), the first against `before`, the
    row read just before them (None: they are the first rows). `first_index` is the
    position of the first row, for naming a row whose seq is not a number.

    `judged(row, payload)`, if given, is called with every row once the checks
    have taken it, in order: `payload` is the object the fast path proved its
    payload to be (canonical, spec §3.1: what `decode_body` would give), None
    where it did not decide. A caller that decodes the rows (a report's tap)
    need not parse them again.

    Most entries take the fast path (`_fast_run`): an entry of a plain kind (no
    fields beyond a canonical object, spec §3.4; not noted in the summary) that
    follows a readable entry of the same boot. It is judged without objects per
    entry, and only found fine: an entry that fails a check, or cannot be checked
    there, is checked by the full path (`_full`), which says what is wrong.
    tests/test_entries_fast.py holds the two paths to the same findings."""
    out = SliceResult()
    prev = state_of(before)[1] if before is not None else None
    fast = _fast_after(prev)
    index = first_index  # of the chunk's first row
    it = iter(rows)
    while chunk := list(itertools.islice(it, CHUNK)):
        pos, size = 0, len(chunk)
        parsed: list[Any] | None = None if judged is None else [None] * size
        while pos < size:
            if fast[0]:
                pos, fast = _fast_run(chunk, pos, fast, ctx, out, parsed)
                if pos == size:
                    break
                prev = State(*fast[1:])
            state = _full(chunk[pos], index + pos, prev, ctx, out)
            pos += 1
            if state is None:  # not even a seq: prev stays what it was
                fast = _NOT_FAST
                continue
            prev = state
            fast = _fast_after(prev)
        if parsed is not None:
            for row, payload in zip(chunk, parsed, strict=True):
                judged(row, payload)  # type: ignore[misc]
        index += size
    if fast[0]:
        prev = State(*fast[1:])
    out.last = prev
    out.rows = index - first_index
    return out


def _full(row: Row, i: int, prev: State | None, ctx: Context, out: SliceResult) -> State | None:
    """Check one row by the full path: its state, or None when it has no seq."""
    body, state, why = state_of(row)
    if state is None:
        out.add(Finding(None, "ENCODING", f"row {i}: {why}"))
        return None
    _check_entry(row, body, state, why, prev, ctx, out)
    if body is not None:
        if out.first_wall is None:
            out.first_wall = body.wall_us
        if body.kind in NOTED_KINDS:
            before_end = Counter(out.counts) if body.kind == "session_end" else None
            out.noted.append(Noted(state.seq, body.kind, body.wall_us, body.payload, before_end))
        elif body.kind not in PAYLOADS and len(_PLAIN_KINDS) < _MAX_PLAIN:
            _PLAIN_KINDS[body.kind.encode("ascii")] = body.kind
        out.counts[body.kind] += 1
    if state.seq in ctx.witness_seqs and state.hash is not None:
        out.hashes[state.seq] = state.hash
    return state


# Rows judged at a time by the fast path: every check but the signatures, then the
# signatures in one run of libsodium calls. Interleaving the two cost 3-4 µs an
# entry (libsodium ran slower after the Python work between its calls: the code
# and tables it needs had left the CPU's caches), as much as the checks themselves.
CHUNK = 256
_Fast = tuple[bool, Any, Any, Any, Any, Any, Any, Any]


def _fast_run(
    chunk: list[Row],
    pos: int,
    fast: _Fast,
    ctx: Context,
    out: SliceResult,
    parsed: list[Any] | None = None,
) -> tuple[int, _Fast]:
    """Judge chunk[pos], chunk[pos + 1], … by the fast path, while they pass every
    check but the signature, after `fast` (`_fast_after`'s facts of the row before);
    then check their signatures together. An entry whose signature fails is judged
    by the full path, in order. Returns the position of the first row the fast
    path left alone (len(chunk): none) and the facts of the row before it. With
    `parsed`, the payload of each row taken is put at its position there."""
    _, p_seq, p_hash, p_next, p_kind, p_wall, p_mono, p_boot = fast
    ledger, witness_seqs, plain = ctx.ledger, ctx.witness_seqs, _PLAIN_KINDS
    unpack, sha256, canonical = HEADER.unpack_from, hashlib.sha256, canonical_object
    keys: list[bytes] = []  # the key due for each row taken
    kinds: list[str] = []
    seen: dict[int, bytes] = {}  # hashes of witnessed entries
    j, size = pos, len(chunk)
    while j < size:
        seq, body, sig = chunk[j]
        if not (
            type(seq) is int
            and seq == p_seq + 1
            and type(body) is bytes
            and type(sig) is bytes
            and len(sig) == 64
            and _HEAD < len(body) <= MAX_BODY
        ):
            break
        magic, b_seq, b_ledger, b_prev, wall, mono, boot, next_key, n = unpack(body)
        kind = plain.get(body[_HEAD : _HEAD + n])
        d_mono = mono - p_mono
        if not (
            kind is not None
            and b_prev == p_hash
            and b_seq == seq
            and b_ledger == ledger
            and boot == p_boot
            and d_mono >= 0
            and -CLOCK_STEP_US <= wall - p_wall - d_mono <= CLOCK_STEP_US
            and next_key != ZERO32
            and magic == MAGIC
            and len(kind) == n
            and (payload := canonical(body[_HEAD + n :])) is not None
        ):
            break
        if parsed is not None:
            parsed[j] = payload
        keys.append(p_next)
        kinds.append(kind)
        p_hash = sha256(ENTRY_DOMAIN + body + sig).digest()
        if seq in witness_seqs:
            seen[seq] = p_hash
        p_seq, p_next, p_kind, p_wall, p_mono = seq, next_key, kind, wall, mono
        j += 1
    if j == pos:
        return pos, fast
    taken = chunk[pos:j]
    valid = _signatures(keys, [r[2] for r in taken], [SIG_DOMAIN + r[1] for r in taken])
    if out.first_wall is None:
        out.first_wall = unpack(taken[0][1])[4]
    if all(valid):
        out.counts.update(kinds)
        out.hashes.update(seen)
    else:
        _after_bad_signatures(taken, valid, fast, ctx, out)
    return j, (True, p_seq, p_hash, p_next, p_kind, p_wall, p_mono, p_boot)


def _signatures(keys: list[bytes], sigs: list[bytes], messages: list[bytes]) -> list[bool]:
    """Whether each signature is valid, checked one after another with nothing in
    between. `ed25519.DETACHED` (looked up per call: a benchmark may stub it) is
    libsodium's own function, called without a Python frame: the fast path has
    made verify_signature's checks (bytes, 32 and 64 long)."""
    detached = _DETACHED
    if detached is None:
        return list(map(verify_signature, keys, sigs, messages))
    return [r == 0 for r in map(detached, sigs, messages, map(len, messages), keys)]


def _after_bad_signatures(
    taken: list[Row], valid: list[bool], fast: _Fast, ctx: Context, out: SliceResult
) -> None:
    """Record rows the fast path took, some of whose signatures failed: those by
    the full path, which names the finding, the others as the fast path does."""
    prev = State(*fast[1:])
    for row, ok in zip(taken, valid, strict=True):
        if ok:
            _, state, _ = state_of(row)
            assert state is not None and state.kind is not None  # the fast path read it
            out.counts[state.kind] += 1
            if state.seq in ctx.witness_seqs and state.hash is not None:
                out.hashes[state.seq] = state.hash
        else:
            state = _full(row, -1, prev, ctx, out)  # has a seq: -1 is never shown
            assert state is not None
        prev = state


_HEAD = HEADER.size
# Kinds a readable entry had that need no field of their payload (not in PAYLOADS,
# not noted): bytes as in the body -> the kind. A ledger may use any kind, so the
# map stops growing at _MAX_PLAIN; the others take the full path.
_PLAIN_KINDS: dict[bytes, str] = {}
_MAX_PLAIN = 256
_NOT_FAST = (False, 0, None, None, None, 0, 0, None)


def _fast_after(
    prev: State | None,
) -> tuple[bool, Any, Any, Any, Any, Any, Any, Any]:
    """(True, prev's fields) when the entry after `prev` may take the fast path:
    `prev` is readable, not a seal, names a successor key, and its seq is not
    negative (so the next is not entry 0, which the workstation key signs)."""
    if (
        prev is None
        or prev.kind is None
        or prev.kind == "session_end"
        or prev.hash is None
        or prev.next_key is None
        or prev.next_key == ZERO32
        or prev.wall_us is None
        or prev.seq < 0
    ):
        return _NOT_FAST
    return (True, *prev)


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
    if body is None:  # unreadable: nothing else about it can be checked
        add(Finding(seq, "ENCODING", f"entry {seq}: {why}"))
        return
    if prev is not None and prev.kind == "session_end":
        add(Finding(seq, "AFTER_SEAL", f"entry {seq} follows the session_end at {prev.seq}"))
    if body.seq != seq:
        add(Finding(seq, "SEQ_MISMATCH", f"row {seq} holds an entry signed as seq {body.seq}"))
    if ctx.ledger is not None and body.ledger != ctx.ledger:
        add(Finding(seq, "WRONG_LEDGER", f"entry {seq} belongs to ledger {body.ledger.hex()}"))
    # The first row links to nothing unless it is entry 0 (a missing start is SEQ_GAP).
    want_prev = (ZERO32 if seq == 0 else None) if prev is None else prev.hash
    if want_prev is not None and body.prev != want_prev:
        add(Finding(seq, "CHAIN", f"entry {seq} does not link to the hash of the entry before"))
    _check_signature(row, body, seq, prev, ctx, add)
    if (body.next_key == ZERO32) != (body.kind == "session_end"):
        names = "names a successor key" if body.kind == "session_end" else "names no successor key"
        add(Finding(seq, "ENCODING", f"entry {seq} ({body.kind}) {names}"))
    if prev is not None and prev.wall_us is not None:
        _check_time(body, seq, prev, add)
    if body.kind == "session_resume":
        _check_resume(body, seq, prev, ctx, add)
    elif body.kind == "session_end":
        _check_end(body, seq, ctx, add)


def _check_signature(
    row: Row, body: Body, seq: int, prev: State | None, ctx: Context, add: Any
) -> None:
    if prev is None and body.kind != "session_start":
        add(Finding(seq, "START_MISSING", f"the first entry is a {body.kind}, not a session_start"))
        return
    if seq > 0 and body.kind == "session_start":
        add(Finding(seq, "START_REPEATED", f"a session_start at entry {seq}"))
    if seq == 0 or body.kind == "session_resume":
        key, who = ctx.workstation_key, "the workstation key"
    else:
        key, who = (None if prev is None else prev.next_key), None
    if key is None:  # no certificate, no row before, or an unreadable one: already a finding
        return
    if key == ZERO32:
        if prev is None or prev.kind != "session_end":  # AFTER_SEAL already says it
            add(Finding(seq, "SIGNATURE", f"entry {seq}: the entry before names no key"))
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


def _check_resume(body: Body, seq: int, prev: State | None, ctx: Context, add: Any) -> None:
    p = body.payload
    add(Finding(seq, "RESUMED", f"the session was resumed at entry {seq} ({p['reason']!s})"))
    if prev is None or p["after_seq"] != seq - 1 or p["after_head"] != _hex(prev.hash):
        add(Finding(seq, "RESUME", f"the resume at {seq} does not name the entry before it"))
    if ctx.valid_us is not None and not ctx.valid_us[0] <= body.wall_us <= ctx.valid_us[1]:
        add(Finding(seq, "CERT_EXPIRED", f"the resume at {seq} lies outside the validity"))


def _check_end(body: Body, seq: int, ctx: Context, add: Any) -> None:
    cs = body.payload["countersign"]  # its shape is checked: lowercase hex of the right length
    if cs is None:
        if ctx.reviewer_key is not None:
            add(
                Finding(seq, "NOT_COUNTERSIGNED", "the reviewer named at start did not countersign")
            )
        return
    key, sig = bytes.fromhex(cs["key"]), bytes.fromhex(cs["sig"])
    if ctx.reviewer_key is None or key != ctx.reviewer_key:
        add(Finding(seq, "COUNTERSIGN", "countersigned by a key the session_start did not name"))
    elif not verify_signature(key, sig, countersign_message(body.ledger, body.seq, body.prev)):
        add(Finding(seq, "COUNTERSIGN", "the reviewer's countersignature does not verify"))


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()
