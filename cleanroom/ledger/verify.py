"""Offline ledger verification: ledger bytes, trusted vendor keys and witnesses in,
a `Verdict` out (spec: docs/ledger-format.md §5).

Nothing in the ledger is trusted on its own say-so: every hash is recomputed from
the stored bytes, every signature is checked against the key the chain assigns,
and the workstation key counts only through a certificate from a trusted key.
Verification does not stop at the first problem.

`verify_image` is the pure verifier of a loaded image. `verify_path` gives the
same verdict for a file, but a large one is not loaded whole: each worker of a
fork pool reads its own range of rows from the file and checks them as it reads.
With a `Tap`, each process also hands every row it checks, as its checks take
it, to the caller's sink for that range, with the payload the checks parsed (a
report decodes and spills them there, so the events are the rows judged, no
process holds them all and no payload is parsed twice).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.pool
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, cast

from .countersign import judge_reviewer
from .encoding import EncodingError
from .entries import Context, Noted, SliceResult, check_rows, check_slice, state_of
from .findings import Finding
from .forked import forked_map
from .keys import Certificate, key_id
from .load import (
    LIVE_DAMAGE,
    LIVE_RETRIES,
    SEQ_MAX,
    SEQ_MIN,
    LedgerImage,
    ReadBudget,
    Row,
    Source,
    Span,
    check_file,
    live_copy,
    load_bytes,
    open_path,
    read_into,
    read_range,
)
from .reviewer_keys import ReviewerKey
from .schema import APPLICATION_ID, EXPECTED_SCHEMA, USER_VERSION
from .verdict import Verdict, summarize
from .witness import Receipt, Witness

PARALLEL_MIN_ROWS = 4096
MAX_LISTED_OBJECTS = 10  # a hostile schema can hold millions of names
SLICES_PER_WORKER = 4  # small slices balance load on a busy machine
# A large ledger read by ranges is cut finer: about this many rows a range, at most
# MAX_SLICES_PER_WORKER ranges a worker (each opens a connection, a few ms at most).
# Whichever process is still checking its last range when the other has none left
# works alone: at 1M entries, 8 ranges left up to 6 s of one core's work to the end.
RANGE_ROWS = 16_384
MAX_SLICES_PER_WORKER = 32

# Runs the per-entry checks over every row: (results in seq order, file findings).
Checker = Callable[[Context], tuple[list[SliceResult], list[Finding]]]


Sink = Callable[[Row, dict[str, object] | None], object]  # (row, its parsed payload)


class Tap(Protocol):
    """Where `verify_path` hands the rows it checks, in the process that checks them.

    `part(k)` is entered once for each part of the file, in any process (forked
    children included): part 0 is every row of a file read whole, parts 1, 2, ...
    are the seq ranges of a file read by ranges, in seq order. Inside it, each row
    is given to the sink once the checks have taken it, in seq order, so the rows
    given are exactly the rows judged, with the payload object the checks proved
    it holds (`entries.check_rows`' `judged`), or None where they did not decide
    (and always in part 0). `restart()` is called before each reading of the
    file: a live file read again forgets every part given before."""

    def restart(self) -> None: ...

    def part(self, k: int) -> contextlib.AbstractContextManager[Sink]: ...


def verify_path(
    path: Path,
    trust: Sequence[bytes],
    witnesses: Sequence[Witness] = (),
    receipts: Sequence[Receipt] = (),
    workers: int | None = None,
    others_receipts: bool = False,
    *,
    reviewers: Sequence[ReviewerKey] = (),
    tap: Tap | None = None,
) -> Verdict:
    """Verify one ledger file: the verdict of `verify_image(load_path(path))` (only
    where SQLite cannot read a damaged file may the damage show at another point).
    Raises OSError for a path that cannot be read. With `others_receipts`, receipts
    for other ledgers are skipped, not findings. `reviewers` are the known reviewer
    keys; with none, the countersigning key is reported but not checked. `tap`
    (`Tap`) is given every row checked, in the process that checks it."""
    workers = workers or len(os.sched_getaffinity(0))
    fork = _can_fork(workers)
    given = _Given(trust, witnesses, receipts, others_receipts, reviewers)
    for attempt in range(LIVE_RETRIES + 1):
        with open_path(path) as (image, source):
            if tap is not None:
                tap.restart()
            verdict = _verify_opened(image, source, given, workers, fork, tap)
            # A session still running: see load.LIVE_RETRIES.
            last = attempt == LIVE_RETRIES or source is None
            damaged = bool(set(verdict.codes()) & LIVE_DAMAGE)
            if last or not damaged or not source.moved():
                if damaged and source is not None and source.unsettled():
                    return Verdict.from_findings(
                        verdict.path,
                        live_copy(verdict.findings),
                        verdict.summary,
                        Counter(verdict.omitted),
                        verdict.witnesses,
                        verdict.receipts,
                    )
                return verdict
    raise AssertionError("unreachable")  # pragma: no cover


def _verify_opened(
    image: LedgerImage,
    source: Source | None,
    given: _Given,
    workers: int,
    fork: bool,
    tap: Tap | None = None,
) -> Verdict:
    span = None
    if source is not None:
        # Without a pool, every ledger is streamed: rows are checked as they are read.
        span = read_into(image, source, PARALLEL_MIN_ROWS if fork else 1)
    if span is None:

        def meanwhile() -> None:  # the rows read whole are the rows judged: part 0
            if tap is not None:
                with tap.part(0) as sink:
                    for row in image.rows:
                        sink(row, None)

        return verify_image(
            image,
            given.trust,
            given.witnesses,
            given.receipts,
            workers,
            given.others_receipts,
            reviewers=given.reviewers,
            meanwhile=None if tap is None else meanwhile,
        )
    return _judge(
        image,
        span.first,
        given,
        lambda ctx: _check_span(span, ctx, workers, tap) if fork else _stream_span(span, ctx, tap),
    )


def verify_bytes(
    data: bytes,
    trust: Sequence[bytes],
    witnesses: Sequence[Witness] = (),
    receipts: Sequence[Receipt] = (),
    wal: bytes | None = None,
    *,
    reviewers: Sequence[ReviewerKey] = (),
) -> Verdict:
    return verify_image(
        load_bytes(data, wal), trust, witnesses, receipts, workers=1, reviewers=reviewers
    )


def verify_image(
    image: LedgerImage,
    trust: Sequence[bytes],
    witnesses: Sequence[Witness] = (),
    receipts: Sequence[Receipt] = (),
    workers: int | None = None,
    others_receipts: bool = False,
    *,
    meanwhile: Callable[[], object] | None = None,
    reviewers: Sequence[ReviewerKey] = (),
) -> Verdict:
    """The pure verifier. `trust` holds raw 32-byte vendor public keys, `reviewers`
    the known reviewer keys (none: the countersigning key is not checked).

    `meanwhile` is called once, in this process, while the pool workers check the
    rows (after the checks when they run in this process): the caller's own work
    on the same image, done in the time the verifier would leave this process
    idle. The verifier reads no row of `image.rows` once it calls `meanwhile`
    (the workers hold their own copy), so `meanwhile` may release them: a report
    turns each row into its entry and drops the row, and never holds both."""
    rows = image.rows
    return _judge(
        image,
        rows[0] if rows else None,
        _Given(trust, witnesses, receipts, others_receipts, reviewers),
        lambda ctx: (_check_all(rows, ctx, workers, meanwhile), []),
        meanwhile,
    )


@dataclass(frozen=True)
class _Given:
    """What the verifier's user brings: trusted vendor keys, witnesses, receipts,
    known reviewer keys."""

    trust: Sequence[bytes]
    witnesses: Sequence[Witness]
    receipts: Sequence[Receipt]
    others_receipts: bool
    reviewers: Sequence[ReviewerKey]


def _judge(
    image: LedgerImage,
    first: Row | None,
    given: _Given,
    check: Checker,
    meanwhile: Callable[[], object] | None = None,
) -> Verdict:
    """The verdict on a ledger whose first row is `first`; `check` checks every row
    (and calls `meanwhile`, which is called here when there are no rows)."""
    trust, witnesses, receipts = given.trust, given.witnesses, given.receipts
    findings = list(image.problems)
    readable = not any(f.code == "NOT_SQLITE" for f in findings)
    if readable:
        findings += _check_schema(image)
    if readable and image.rows_read and first is None:
        findings.append(Finding(None, "EMPTY", "the ledger holds no entries"))
    if image.wal_missing:
        findings = [_wal_missing(f) for f in findings]
    if first is None:
        if meanwhile is not None:
            meanwhile()
        return Verdict.from_findings(image.name, findings, summarize())
    ctx, cert, start_findings = _context(first, trust, frozenset())
    if given.others_receipts:
        receipts = [r for r in receipts if ctx.ledger is not None and r.ledger == ctx.ledger.hex()]
    seqs = frozenset(w.seq for w in witnesses) | frozenset(r.seq for r in receipts)
    ctx = replace(ctx, witness_seqs=seqs)
    findings += start_findings
    results, file_findings = check(ctx)
    findings += file_findings
    counts: Counter[str] = Counter()
    omitted: Counter[str] = Counter()
    noted: list[Noted] = []
    hashes: dict[int, bytes] = {}
    for result in results:
        findings += result.findings
        omitted += result.omitted
        for n in result.noted:
            if n.kind == "session_end" and n.counts_before is not None:
                findings += _check_totals(n, counts + n.counts_before)
            noted.append(n)
        counts += result.counts
        hashes.update(result.hashes)
    last = results[-1].last
    sealed = last is not None and last.kind == "session_end"
    if not sealed:
        at = "?" if last is None else last.seq
        findings.append(Finding(None, "UNSEALED", f"the ledger ends at entry {at} without a seal"))
    elif image.wal_mode:
        left = " with its -wal" if "-wal" in image.sidecars else ""
        message = f"sealed, but the file was never finished: still in WAL mode{left}"
        findings.append(Finding(None, "SEAL_UNFINISHED", message))
    elif image.sidecars:
        names = ", ".join(image.sidecars)
        findings.append(Finding(None, "SIDECAR", f"sealed, yet {names} files lie beside it"))
    if image.torn_wal:
        findings.append(Finding(None, "TORN_WRITE", "the -wal file ends in a partial frame"))
    last_seq = -1 if last is None else last.seq
    checked = _check_witnesses(witnesses, receipts, ctx, hashes, last_seq)
    findings += checked.findings
    start = state_of(first)[0]
    end = next((n for n in noted if n.kind == "session_end"), None)
    countersign, reviewer_findings = judge_reviewer(start, end, findings, given.reviewers)
    findings += reviewer_findings
    first_wall = next((r.first_wall for r in results if r.first_wall is not None), None)
    entries = sum(r.rows for r in results)
    summary = summarize(
        cert, start, noted, counts, entries, last, first_wall, list(trust), countersign
    )
    return Verdict.from_findings(
        image.name, findings, summary, omitted, checked.witnesses, checked.receipts
    )


WAL_HINT = (
    "; the file is in WAL mode and no -wal lies beside it: if a checkpoint was running"
    " when its writer stopped, the file is half-written without its -wal"
    " (verdict.md: a missing -wal)"
)


def _wal_missing(f: Finding) -> Finding:
    """The damage a half-done checkpoint leaves once the -wal is gone, said so."""
    if f.seq is None and f.code in ("CORRUPT", "SCHEMA", "EMPTY"):
        return Finding(f.seq, f.code, f.message + WAL_HINT)
    return f


def _check_schema(image: LedgerImage) -> list[Finding]:
    out = []
    schema = [tuple(r) for r in image.schema]
    if schema != EXPECTED_SCHEMA:
        extra = sorted({f"{r[0]} {r[1]}"[:80] for r in schema} - {"table entries"})
        listed = ", ".join(extra[:MAX_LISTED_OBJECTS])
        if len(extra) > MAX_LISTED_OBJECTS:
            listed += f" and {len(extra) - MAX_LISTED_OBJECTS:,} more"
        detail = f"extra objects: {listed}" if extra else "the entries table differs"
        out.append(
            Finding(
                None,
                "SCHEMA",
                f"the schema is not the ledger schema ({detail}); no entry was read",
            )
        )
    if image.application_id != APPLICATION_ID or image.user_version != USER_VERSION:
        out.append(
            Finding(
                None,
                "SCHEMA",
                f"application_id/user_version are {image.application_id:#x}/"
                f"{image.user_version}, expected {APPLICATION_ID:#x}/{USER_VERSION}",
            )
        )
    return out


def _context(
    row: Row, trust: Sequence[bytes], seqs: frozenset[int]
) -> tuple[Context, Certificate | None, list[Finding]]:
    """Establish the session from the first row read (entry 0 unless it is missing):
    ledger id, workstation key and its validity, reviewer key."""
    body, state, _ = state_of(row)
    if body is None or body.kind != "session_start":
        return Context(body.ledger if body else None, None, None, seqs), None, []
    # A readable session_start has the exact shape of spec §3.4 (shapes.py).
    p, out, seq = body.payload, [], state.seq  # type: ignore[union-attr]
    cert = None
    try:
        cert = Certificate.parse(p["cert"].encode("utf-8"), bytes.fromhex(p["cert_sig"]))
    except (UnicodeError, ValueError, EncodingError) as exc:
        out.append(Finding(seq, "CERT_INVALID", f"the certificate is unreadable: {exc}"))
    rk = p["reviewer"]["key"]
    reviewer_key = None if rk is None else bytes.fromhex(rk)
    if cert is None:
        return Context(body.ledger, None, reviewer_key, seqs), None, out
    if not any(cert.signed_by(k) for k in trust):
        trusted = ", ".join(key_id(k) for k in trust) or "none"
        out.append(
            Finding(
                seq,
                "CERT_UNTRUSTED",
                f"certificate issued by {cert.issuer}, trusted keys are {trusted}",
            )
        )
    valid_us = (cert.not_before * 1_000_000, cert.not_after * 1_000_000)
    if not valid_us[0] <= body.wall_us <= valid_us[1]:
        out.append(Finding(seq, "CERT_EXPIRED", "the session started outside the validity"))
    return Context(body.ledger, cert.key, reviewer_key, seqs, valid_us), cert, out


def _can_fork(workers: int) -> bool:
    # fork is unsafe in a process with other threads.
    return workers > 1 and threading.active_count() == 1


def _check_all(
    rows: list[Row], ctx: Context, workers: int | None, meanwhile: Callable[[], object] | None
) -> list[SliceResult]:
    n = len(rows)
    workers = workers or len(os.sched_getaffinity(0))
    if n < PARALLEL_MIN_ROWS or not _can_fork(workers):
        checked = [check_slice(rows, 0, n, ctx)]
        if meanwhile is not None:  # the rows are no longer read: it may release them
            meanwhile()
        return checked
    parts = workers * SLICES_PER_WORKER
    bounds = [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]
    global _ROWS
    _ROWS = rows  # fork shares the rows with the workers without copying them
    try:
        with _pool(workers) as pool:  # the workers are forked here, before `meanwhile`
            pending = pool.starmap_async(_check_shared, [(a, b, ctx) for a, b in bounds])
            if meanwhile is not None:
                meanwhile()
            return pending.get()
    finally:
        _ROWS = []


_ROWS: list[Row] = []


def _check_shared(start: int, stop: int, ctx: Context) -> SliceResult:
    return check_slice(_ROWS, start, stop, ctx)


def _check_span(
    span: Span, ctx: Context, workers: int, tap: Tap | None = None
) -> tuple[list[SliceResult], list[Finding]]:
    """Check every row of a ledger left in its file: the seqs from span.low to
    span.high are cut into ranges, and each process (this one and its forked
    children, `forked.py`) reads and checks ranges as it comes free. The first
    and last ranges are open-ended, so every row is read exactly once whatever
    min() and max() said; `quick_check` runs as one more task, the first."""
    n = span.high - span.low + 1  # the seqs' span: a hostile file's can be far wider
    parts = workers * min(
        max(SLICES_PER_WORKER, n // (RANGE_ROWS * workers)), MAX_SLICES_PER_WORKER
    )
    cuts = [span.low + n * k // parts for k in range(1, parts)]
    ranges = list(zip([SEQ_MIN, *cuts], [c - 1 for c in cuts] + [SEQ_MAX], strict=True))
    # The SQLite time each process may spend on this ledger, all its tasks: the
    # children are forked before this process spends any, so each has it whole.
    budget = ReadBudget()

    def task(k: int) -> object:
        if k == 0:
            return check_file(span.source, budget)
        return _check_range(span.source, *ranges[k - 1], ctx, budget, tap, k)

    done = forked_map(task, len(ranges) + 1, workers)
    return cast(list[SliceResult], done[1:]), cast(list[Finding], done[0])


def _stream_span(
    span: Span, ctx: Context, tap: Tap | None = None
) -> tuple[list[SliceResult], list[Finding]]:
    """`_check_span` in this process: the rows are checked as they are read, so
    memory does not grow with the ledger."""
    budget = ReadBudget()
    result = _check_range(span.source, SEQ_MIN, SEQ_MAX, ctx, budget, tap, 1)
    return [result], check_file(span.source, budget)


def _pool(workers: int) -> multiprocessing.pool.Pool:
    return multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker)


def _start_worker() -> None:
    # The pool ends its workers with SIGTERM: they must not unwind as their parent does.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The worker never frees what it inherited: its collections need not walk it
    # (and so copy its pages).
    gc.freeze()


def _check_range(
    source: Source,
    low: int,
    high: int,
    ctx: Context,
    budget: ReadBudget,
    tap: Tap | None = None,
    part: int = 1,
) -> SliceResult:
    problems: list[Finding] = []
    rows = read_range(source, budget, low, high, problems)
    before = next(rows, None)  # only the first item may be None
    if tap is None:
        result = check_rows(cast(Iterator[Row], rows), before, ctx)
    else:
        with tap.part(part) as sink:
            result = check_rows(cast(Iterator[Row], rows), before, ctx, judged=sink)
    result.findings += problems
    return result


def _check_totals(end: Noted, before: Counter[str]) -> list[Finding]:
    p = end.payload
    if p.get("entries") != end.seq or p.get("by_kind") != dict(before):
        return [Finding(end.seq, "TOTALS", "the session_end totals differ from the entries")]
    return []


@dataclass
class _Checked:
    """The witness and receipt findings, and what each witness and receipt got."""

    findings: list[Finding] = field(default_factory=list)
    witnesses: list[dict[str, object]] = field(default_factory=list)
    receipts: list[dict[str, object]] = field(default_factory=list)


def _check_witnesses(
    witnesses: Sequence[Witness],
    receipts: Sequence[Receipt],
    ctx: Context,
    hashes: dict[int, bytes],
    last_seq: int,
) -> _Checked:
    out = _Checked()
    for w in witnesses:
        if w.seq > last_seq:
            result = BEYOND_END
            message = f"{w.source}: the ledger ends at {last_seq}"
            out.findings.append(Finding(w.seq, "WITNESS_BEYOND_END", message))
        elif w.seq not in hashes or not w.matches(hashes[w.seq]):
            result = MISMATCH
            message = f"{w.source} does not match entry"
            out.findings.append(Finding(w.seq, "WITNESS_MISMATCH", message))
        else:
            result = MATCHED
        out.witnesses.append({"seq": w.seq, "witness": w.code, "result": result})
    for r in receipts:
        if ctx.ledger is None or r.ledger != ctx.ledger.hex():
            result = OTHER_LEDGER
            message = f"the receipt is for ledger {r.ledger}"
            out.findings.append(Finding(None, "RECEIPT_LEDGER", message))
        elif r.seq > last_seq:
            result = BEYOND_END
            message = f"receipt head {r.seq}, ledger ends {last_seq}"
            out.findings.append(Finding(r.seq, "WITNESS_BEYOND_END", message))
        elif r.seq not in hashes or not r.matches(hashes[r.seq]):
            result = MISMATCH
            message = f"the receipt's head {r.seq} differs"
            out.findings.append(Finding(r.seq, "WITNESS_MISMATCH", message))
        else:
            result = MATCHED
        out.receipts.append(
            {"ledger": r.ledger, "seq": r.seq, "head": r.head, "witness": r.code, "result": result}
        )
    return out


# What a witness or receipt got (`result` in the verdict's JSON; docs/verdict.md).
MATCHED, MISMATCH, BEYOND_END, OTHER_LEDGER = "matched", "mismatch", "beyond_end", "other_ledger"
