"""Offline ledger verification: ledger bytes, trusted vendor keys and witnesses in,
a `Verdict` out (spec: docs/ledger-format.md §5).

Nothing in the ledger is trusted on its own say-so: every hash is recomputed from
the stored bytes, every signature is checked against the key the chain assigns,
and the workstation key counts only through a certificate from a trusted key.
Verification does not stop at the first problem.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .encoding import EncodingError
from .entries import Context, Noted, SliceResult, check_slice, state_of
from .findings import Finding
from .keys import Certificate, key_id
from .load import LedgerImage, Row, load_bytes, load_path
from .schema import APPLICATION_ID, EXPECTED_SCHEMA, USER_VERSION
from .verdict import Verdict, summarize
from .witness import Receipt, Witness

PARALLEL_MIN_ROWS = 4096


def verify_path(
    path: Path,
    trust: Sequence[bytes],
    witnesses: Sequence[Witness] = (),
    receipts: Sequence[Receipt] = (),
    workers: int | None = None,
    others_receipts: bool = False,
) -> Verdict:
    """Verify one ledger file. Raises OSError for a path that cannot be read.
    With `others_receipts`, receipts for other ledgers are skipped, not findings."""
    return verify_image(load_path(path), trust, witnesses, receipts, workers, others_receipts)


def verify_bytes(
    data: bytes,
    trust: Sequence[bytes],
    witnesses: Sequence[Witness] = (),
    receipts: Sequence[Receipt] = (),
    wal: bytes | None = None,
) -> Verdict:
    return verify_image(load_bytes(data, wal), trust, witnesses, receipts, workers=1)


def verify_image(
    image: LedgerImage,
    trust: Sequence[bytes],
    witnesses: Sequence[Witness] = (),
    receipts: Sequence[Receipt] = (),
    workers: int | None = None,
    others_receipts: bool = False,
) -> Verdict:
    """The pure verifier. `trust` holds raw 32-byte vendor public keys."""
    findings = list(image.problems)
    readable = not any(f.code == "NOT_SQLITE" for f in findings)
    if readable:
        findings += _check_schema(image)
    rows = image.rows
    if readable and not rows:
        findings.append(Finding(None, "EMPTY", "the ledger holds no entries"))
    if not rows:
        return Verdict.from_findings(image.name, findings, summarize())
    ctx, cert, start_findings = _context(rows[0], trust, frozenset())
    if others_receipts:
        receipts = [r for r in receipts if ctx.ledger is not None and r.ledger == ctx.ledger.hex()]
    seqs = frozenset(w.seq for w in witnesses) | frozenset(r.seq for r in receipts)
    ctx = replace(ctx, witness_seqs=seqs)
    findings += start_findings
    results = _check_all(rows, ctx, workers)
    counts: Counter[str] = Counter()
    noted: list[Noted] = []
    hashes: dict[int, bytes] = {}
    for result in results:
        findings += result.findings
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
    elif image.sidecars:
        names = ", ".join(image.sidecars)
        findings.append(Finding(None, "SIDECAR", f"sealed, yet {names} files lie beside it"))
    if image.torn_wal:
        findings.append(Finding(None, "TORN_WRITE", "the -wal file ends in a partial frame"))
    last_seq = -1 if last is None else last.seq
    findings += _check_witnesses(witnesses, receipts, ctx, hashes, last_seq)
    first_wall = next((r.first_wall for r in results if r.first_wall is not None), None)
    summary = summarize(
        cert, state_of(rows[0])[0], noted, counts, len(rows), last, first_wall, list(trust)
    )
    return Verdict.from_findings(image.name, findings, summary)


def _check_schema(image: LedgerImage) -> list[Finding]:
    out = []
    schema = [tuple(r) for r in image.schema]
    if schema != EXPECTED_SCHEMA:
        extra = sorted({f"{r[0]} {r[1]}" for r in schema} - {"table entries"})
        detail = f"extra objects: {', '.join(extra)}" if extra else "the entries table differs"
        out.append(Finding(None, "SCHEMA", f"the schema is not the ledger schema ({detail})"))
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
    """Establish the session from entry 0: ledger id, workstation key, reviewer key."""
    body, _, _ = state_of(row)
    if body is None or body.kind != "session_start":
        return Context(body.ledger if body else None, None, None, seqs), None, []
    p, out = body.payload, []
    cert = None
    try:
        cert = Certificate.parse(str(p["cert"]).encode("utf-8"), bytes.fromhex(p["cert_sig"]))
    except (KeyError, TypeError, ValueError, EncodingError) as exc:
        out.append(Finding(0, "CERT_INVALID", f"the workstation certificate is unreadable: {exc}"))
    reviewer_key = None
    try:
        rk = (p.get("reviewer") or {}).get("key")
        reviewer_key = bytes.fromhex(rk) if rk else None
    except (AttributeError, TypeError, ValueError):
        out.append(Finding(0, "ENCODING", "the reviewer key in session_start is malformed"))
    if cert is not None:
        if not any(cert.signed_by(k) for k in trust):
            trusted = ", ".join(key_id(k) for k in trust) or "none"
            out.append(
                Finding(
                    0,
                    "CERT_UNTRUSTED",
                    f"certificate issued by {cert.issuer}, trusted keys are {trusted}",
                )
            )
        if not cert.not_before * 1_000_000 <= body.wall_us <= cert.not_after * 1_000_000:
            out.append(Finding(0, "CERT_EXPIRED", "the session started outside the validity"))
    ws_key = cert.key if cert is not None else None
    return Context(body.ledger, ws_key, reviewer_key, seqs), cert, out


def _check_all(rows: list[Row], ctx: Context, workers: int | None) -> list[SliceResult]:
    n = len(rows)
    workers = workers or len(os.sched_getaffinity(0))
    # fork shares the rows with the workers for free; it is unsafe with other threads.
    if workers <= 1 or n < PARALLEL_MIN_ROWS or threading.active_count() > 1:
        return [check_slice(rows, 0, n, ctx)]
    parts = workers * 4  # small slices balance load on a busy machine
    bounds = [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]
    global _ROWS
    _ROWS = rows
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.starmap(_check_shared, [(a, b, ctx) for a, b in bounds])
    finally:
        _ROWS = []


_ROWS: list[Row] = []


def _check_shared(start: int, stop: int, ctx: Context) -> SliceResult:
    return check_slice(_ROWS, start, stop, ctx)


def _check_totals(end: Noted, before: Counter[str]) -> list[Finding]:
    p = end.payload
    if p.get("entries") != end.seq or p.get("by_kind") != dict(before):
        return [Finding(end.seq, "TOTALS", "the session_end totals differ from the entries")]
    return []


def _check_witnesses(
    witnesses: Sequence[Witness],
    receipts: Sequence[Receipt],
    ctx: Context,
    hashes: dict[int, bytes],
    last_seq: int,
) -> list[Finding]:
    out = []
    for w in witnesses:
        if w.seq > last_seq:
            out.append(
                Finding(w.seq, "WITNESS_BEYOND_END", f"{w.source}: the ledger ends at {last_seq}")
            )
        elif w.seq not in hashes or not w.matches(hashes[w.seq]):
            out.append(Finding(w.seq, "WITNESS_MISMATCH", f"{w.source} does not match entry"))
    for r in receipts:
        if ctx.ledger is None or r.ledger != ctx.ledger.hex():
            out.append(Finding(None, "RECEIPT_LEDGER", f"the receipt is for ledger {r.ledger}"))
        elif r.seq > last_seq:
            out.append(
                Finding(
                    r.seq, "WITNESS_BEYOND_END", f"receipt head {r.seq}, ledger ends {last_seq}"
                )
            )
        elif hashes.get(r.seq, b"").hex() != r.head:
            out.append(Finding(r.seq, "WITNESS_MISMATCH", f"the receipt's head {r.seq} differs"))
    return out
