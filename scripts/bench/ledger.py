#!/usr/bin/env python3
"""Ledger performance: durable append and parallel verification, each against its peer.

    .venv/bin/python scripts/bench/ledger.py            # full: 5 runs, 10k and 1M entries
    .venv/bin/python scripts/bench/ledger.py --quick    # 3 runs, 10k entries only
    .venv/bin/python scripts/bench/ledger.py --json     # JSON on stdout, table on stderr

Targets (from the issue; this script reports them, it never asserts them):

- append: >= 2,000 signed, durable entries/s with p99 < 5 ms. Peers, measured in
  the same run: raw SQLite one-row commits (WAL, synchronous=FULL, same bytes) and
  raw Ed25519 sign (and keygen: the writer makes one key per entry).
- verify: >= 90 % of the machine's own Ed25519 verify rate on all cores. Peer:
  the same number of distinct (public key, message, signature) triples verified
  over a fork pool with the same worker count, by the fastest Ed25519 verifier
  installed here: every candidate (cryptography/OpenSSL, PyNaCl/libsodium, pysodium
  when present) is timed on fresh-key triples at the start of the run, and the
  fastest is the peer.

Every figure is the median over the runs; the run count is printed beside it. The
machine is shared and noisy, so the order of ours/peer alternates between runs.
Built ledgers are cached in --cache-dir, keyed by size and build method.
"""

# The imports below follow the sys.path line that makes tests.ledgerkit importable.
# ruff: noqa: E402

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import gc
import hashlib
import json
import multiprocessing
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
# Appended, not prepended: a candidate cleanroom on PYTHONPATH is what gets measured.
sys.path.append(str(ROOT))

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend as openssl
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

import cleanroom
from cleanroom import __version__
from cleanroom.ledger import entries as entries_mod
from cleanroom.ledger import verify as verify_mod
from cleanroom.ledger.clock import SteppingClock
from cleanroom.ledger.encoding import (
    ZERO32,
    Body,
    countersign_message,
    decode_body,
    entry_hash,
    parse_canonical,
    signed_message,
)
from cleanroom.ledger.entries import Context as SliceContext
from cleanroom.ledger.entries import check_slice
from cleanroom.ledger.events import Countersign, SessionEnd, SessionStart
from cleanroom.ledger.keys import raw_public, verify_signature
from cleanroom.ledger.load import MAX_BODY, load_path
from cleanroom.ledger.schema import APPLICATION_ID, ENTRIES_DDL, USER_VERSION
from cleanroom.ledger.verdict import Status
from cleanroom.ledger.verify import verify_path
from cleanroom.ledger.writer import Ledger
from tests.ledgerkit import Kit, View

BUILD_FORMAT = 1  # bump when the way cached ledgers are built changes
WRITER_MAX = 20_000  # ledgers up to this size are built through Ledger.append itself
SAMPLE_ROWS = 10_000  # rows used for the single-core per-stage breakdown
MIN_SECONDS = 5.0  # a verify run repeats until ours and peer have each run this long
TARGET_APPEND_RATE = 2_000
TARGET_APPEND_P99_MS = 5.0
TARGET_VERIFY_RATIO = 0.90


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- the machine --------------------------------------------------------------


def filesystem_of(path: Path) -> dict[str, str]:
    """The mount that holds `path`: device, type and mount point (from /proc/mounts)."""
    real = os.path.realpath(path)
    best = {"device": "?", "type": "?", "mount": "/"}
    with contextlib.suppress(OSError), open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            inside = real == mnt or real.startswith(mnt.rstrip("/") + "/")
            if inside and len(mnt) >= len(best["mount"]):
                best = {"device": dev, "type": fstype, "mount": mnt}
    return best


def machine_info(bench_dir: Path, workers: int) -> dict[str, Any]:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    bench_fs, repo_fs = filesystem_of(bench_dir), filesystem_of(ROOT)
    return {
        "cpu": model,
        "cpus_online": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "workers": workers,
        "loadavg_at_start": list(os.getloadavg()),
        "cleanroom": str(Path(cleanroom.__file__).parent),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cryptography": cryptography.__version__,
        "openssl": openssl.openssl_version_text(),
        "bench_dir": str(bench_dir),
        "bench_fs": bench_fs,
        "repo_fs": repo_fs,
        "same_fs_as_repo": os.stat(bench_dir).st_dev == os.stat(ROOT).st_dev,
    }


# -- the machine's fastest Ed25519 verification -----------------------------------

# (public key, signed message, signature) -> anything; raises when the signature is bad
Ed25519Verify = Callable[[bytes, bytes, bytes], object]
PICK_TRIPLES = 3_000  # fresh-key signatures each candidate verifies to be ranked


def _cryptography_verify(pub: bytes, msg: bytes, sig: bytes) -> None:
    Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)


def ed25519_candidates() -> dict[str, Ed25519Verify]:
    """Every Ed25519 verifier importable here, by its lowest-overhead public call."""
    out: dict[str, Ed25519Verify] = {
        f"cryptography {cryptography.__version__} (OpenSSL)": _cryptography_verify
    }
    with contextlib.suppress(ImportError):
        import nacl
        from nacl.bindings import crypto_sign_open

        out[f"pynacl {nacl.__version__} (bundled libsodium)"] = lambda pub, msg, sig: (
            crypto_sign_open(sig + msg, pub)
        )
    with contextlib.suppress(Exception):  # ImportError, or no libsodium on the system
        import pysodium  # type: ignore[import-not-found,import-untyped]

        detached = pysodium.crypto_sign_verify_detached
        out["pysodium (system libsodium)"] = lambda pub, msg, sig: detached(sig, msg, pub)
    system = system_libsodium()
    if system is not None:
        out["system libsodium (ctypes)"] = system
    return out


def system_libsodium() -> Ed25519Verify | None:
    """crypto_sign_verify_detached of the operating system's libsodium, called through
    ctypes with no wrapper of its own, or None when there is none."""
    name = ctypes.util.find_library("sodium")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        if lib.sodium_init() < 0:
            return None
        detached = lib.crypto_sign_verify_detached
    except (OSError, AttributeError):
        return None
    detached.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p)
    detached.restype = ctypes.c_int

    def verify(pub: bytes, msg: bytes, sig: bytes) -> None:
        if len(pub) != 32 or len(sig) != 64 or detached(sig, msg, len(msg), pub) != 0:
            raise ValueError("bad signature")

    return verify


def fresh_triples(n: int, size: int = 200) -> list[tuple[bytes, bytes, bytes]]:
    """`n` signatures, each by its own new key, as in a ledger."""
    out = []
    for _ in range(n):
        key, msg = Ed25519PrivateKey.generate(), os.urandom(size)
        out.append((raw_public(key), msg, key.sign(msg)))
    return out


def pick_peer() -> dict[str, Any]:
    """Rank the candidates by single-core CPU time on the same fresh-key triples
    (best of 3 interleaved rounds); the fastest is the peer of this run."""
    triples = fresh_triples(PICK_TRIPLES)
    candidates = ed25519_candidates()
    stages: Stages = {
        name: (lambda fn=fn: [fn(p, m, s) for p, m, s in triples])
        for name, fn in candidates.items()
    }
    us = per_entry_us(stages, len(triples), 3)
    rates = {name: 1e6 / t for name, t in us.items()}
    best = max(rates, key=rates.__getitem__)
    return {"rates": rates, "peer": best, "fn": candidates[best]}


PEER: dict[str, Any] = {}  # pick_peer()'s answer, set once per run before any fork


def peer_verify(pub: bytes, msg: bytes, sig: bytes) -> object:
    return PEER["fn"](pub, msg, sig)


# -- events -------------------------------------------------------------------


def view_events(n: int, offset: int = 0) -> list[View]:
    """`view` events as the session records them: a blob hash and a line range."""
    out = []
    for i in range(offset, offset + n):
        blob = hashlib.sha256(f"blob-{i % 997}".encode()).hexdigest()
        first = (i * 37) % 4000 + 1
        out.append(View(blob, first, first + 40 + i % 23))
    return out


# -- durable append -----------------------------------------------------------


def bench_append(directory: Path, kit: Kit, events: list[View]) -> dict[str, Any]:
    """Append `events` through the real writer (system clock, fresh key per entry)."""
    ledger = Ledger.create(directory, kit.workstation, kit.reviewer_ref())
    lat = []
    clock = time.perf_counter_ns
    try:
        t0 = clock()
        for ev in events:
            a = clock()
            ledger.append(ev)
            lat.append((clock() - a) / 1e6)
        elapsed = (clock() - t0) / 1e9
    finally:
        ledger.close()
    conn = sqlite3.connect(f"file:{ledger.path}?mode=ro", uri=True)
    try:
        size = conn.execute("SELECT avg(length(body)) FROM entries WHERE seq > 0").fetchone()[0]
    finally:
        conn.close()
    return {"rate": len(events) / elapsed, "latency_ms": lat, "body_bytes": round(size)}


def bench_sqlite_commits(directory: Path, body_bytes: int, n: int) -> dict[str, Any]:
    """Raw SQLite: one-row transactions of the same size, WAL + synchronous=FULL.

    Same table, same connection settings as the writer (EXCLUSIVE locking, autocommit).
    """
    path = directory / "raw.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    lat = []
    clock = time.perf_counter_ns
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(ENTRIES_DDL)
        rows = [(i, os.urandom(body_bytes), os.urandom(64)) for i in range(n)]
        insert = "INSERT INTO entries (seq, body, sig) VALUES (?, ?, ?)"
        t0 = clock()
        for row in rows:
            a = clock()
            conn.execute(insert, row)
            lat.append((clock() - a) / 1e6)
        elapsed = (clock() - t0) / 1e9
    finally:
        conn.close()
    return {"rate": n / elapsed, "latency_ms": lat}


def bench_sign(message_bytes: int, n: int) -> float:
    key = Ed25519PrivateKey.generate()
    msgs = [os.urandom(message_bytes) for _ in range(n)]
    t0 = time.perf_counter()
    for m in msgs:
        key.sign(m)
    return n / (time.perf_counter() - t0)


def bench_keygen(n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        raw_public(Ed25519PrivateKey.generate())  # what the writer does per entry
    return n / (time.perf_counter() - t0)


def append_section(base: Path, runs: int, n: int) -> dict[str, Any]:
    kit = Kit("bench-append")
    events = view_events(n)
    per_run = []
    all_lat: list[float] = []
    raw_lat: list[float] = []
    for r in range(runs):
        with tempfile.TemporaryDirectory(prefix="append-", dir=base) as tmp:
            ours_dir, raw_dir = Path(tmp) / "ours", Path(tmp) / "raw"
            ours_dir.mkdir()
            raw_dir.mkdir()
            gc.collect()
            ours = bench_append(ours_dir, kit, events)
            gc.collect()
            raw = bench_sqlite_commits(raw_dir, ours["body_bytes"], n)
        msg_bytes = ours["body_bytes"] + len(signed_message(b""))
        sign = bench_sign(msg_bytes, n)
        keygen = bench_keygen(n)
        lat = ours["latency_ms"]
        all_lat += lat
        raw_lat += raw["latency_ms"]
        per_run.append(
            {
                "rate": ours["rate"],
                "p50_ms": percentile(lat, 50),
                "p99_ms": percentile(lat, 99),
                "max_ms": max(lat),
                "sqlite_commit_rate": raw["rate"],
                "sqlite_p99_ms": percentile(raw["latency_ms"], 99),
                "sign_rate": sign,
                "keygen_rate": keygen,
                "body_bytes": ours["body_bytes"],
            }
        )
        log(
            f"  append run {r + 1}/{runs}: ours {ours['rate']:,.0f}/s "
            f"p99 {per_run[-1]['p99_ms']:.2f} ms | sqlite {raw['rate']:,.0f}/s | "
            f"sign {sign:,.0f}/s | keygen {keygen:,.0f}/s"
        )

    def med(key: str) -> float:
        return median([p[key] for p in per_run])

    rate, commit, sign, keygen = (
        med("rate"),
        med("sqlite_commit_rate"),
        med("sign_rate"),
        med("keygen_rate"),
    )
    floor = 1 / (1 / commit + 1 / sign + 1 / keygen)  # serial commit + sign + keygen, no Python
    return {
        "runs": runs,
        "appends_per_run": n,
        "body_bytes": per_run[0]["body_bytes"],
        "rate": rate,
        "p50_ms": percentile(all_lat, 50),
        "p99_ms": percentile(all_lat, 99),
        "p99_ms_run_median": med("p99_ms"),
        "max_ms": max(all_lat),
        "latency_samples": len(all_lat),
        "sqlite_commit_rate": commit,
        "sqlite_p50_ms": percentile(raw_lat, 50),
        "sqlite_p99_ms": percentile(raw_lat, 99),
        "sqlite_p99_ms_run_median": med("sqlite_p99_ms"),
        "sqlite_max_ms": max(raw_lat),
        "sign_rate": sign,
        "keygen_rate": keygen,
        "floor_rate": floor,
        "ratio_vs_commit": rate / commit,
        "ratio_vs_floor": rate / floor,
        "per_run": per_run,
    }


# -- ledgers to verify --------------------------------------------------------


def ledger_for(n: int, cache: Path) -> tuple[Path, dict[str, Any]]:
    """A sealed ledger of `n` entries (start, n-2 views, end), built once and cached."""
    how = "writer" if n <= WRITER_MAX else "direct"
    path = cache / f"ledger-{n}-{how}-v{BUILD_FORMAT}.ledger"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["cached"] = True
        return path, meta
    log(f"  building a {n:,}-entry ledger ({how}) in {path} ...")
    for stale in (path, meta_path):
        if stale.exists():
            os.chmod(stale, 0o644)
            stale.unlink()
    t0 = time.perf_counter()
    if how == "writer":
        build_with_writer(n, path, cache)
    else:
        build_direct(n, path)
    meta = {
        "how": how,
        "description": BUILD_DESCRIPTIONS[how],
        "build_seconds": round(time.perf_counter() - t0, 1),
        "bytes": path.stat().st_size,
    }
    meta_path.write_text(json.dumps(meta))
    meta["cached"] = False
    return path, meta


BUILD_DESCRIPTIONS = {
    "writer": "Ledger.create + Ledger.append per entry + Ledger.seal (the real writer)",
    "direct": "rows written directly in one transaction with Body.encode, signed_message "
    "and entry_hash, a fresh Ed25519 key per entry (same bytes as the writer's)",
}


def build_with_writer(n: int, path: Path, cache: Path) -> None:
    kit = Kit("bench")
    with tempfile.TemporaryDirectory(prefix="build-", dir=cache) as tmp:
        ledger = kit.new_ledger(Path(tmp))
        for ev in view_events(n - 2):
            ledger.append(ev)
        ledger.seal(countersigner=kit.reviewer)
        os.replace(ledger.path, path)


def direct_rows(n: int, kit: Kit) -> Iterator[tuple[int, bytes, bytes]]:
    """Entries exactly as Ledger would write them, without a commit per entry."""
    ledger_id = hashlib.sha256(f"bench/direct/{n}".encode()).digest()[:16]
    clock = SteppingClock()
    ws = kit.workstation
    start = SessionStart(
        cert=ws.cert.body.decode("utf-8"),
        cert_sig=ws.cert.sig.hex(),
        reviewer=kit.reviewer_ref(),
        snapshot=None,
        prev_session=None,
        software=f"cleanroom {__version__}",
    )
    views = iter(view_events(n - 2))
    signer, prev = ws.key, ZERO32
    counts: Counter[str] = Counter()
    for seq in range(n):
        if seq == 0:
            kind, payload = start.kind, start.payload()
        elif seq == n - 1:
            cs = kit.reviewer.sign(countersign_message(ledger_id, seq, prev))
            end = SessionEnd(
                reason="reviewer",
                entries=seq,
                by_kind=dict(sorted(counts.items())),
                countersign=Countersign(raw_public(kit.reviewer).hex(), cs.hex()),
            )
            kind, payload = end.kind, end.payload()
        else:
            ev = next(views)
            kind, payload = ev.kind, ev.payload()
        nxt = None if seq == n - 1 else Ed25519PrivateKey.generate()
        wall, mono = clock.now()
        next_key = ZERO32 if nxt is None else raw_public(nxt)
        body = Body(seq, ledger_id, prev, wall, mono, clock.boot, next_key, kind, payload).encode()
        sig = signer.sign(signed_message(body))
        yield seq, body, sig
        prev = entry_hash(body, sig)
        signer = nxt
        counts[kind] += 1
        if seq % 100_000 == 0 and seq:
            log(f"    {seq:,} / {n:,}")


def build_direct(n: int, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.building")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {USER_VERSION}")
        conn.execute("BEGIN")
        conn.execute(ENTRIES_DDL)
        conn.executemany(
            "INSERT INTO entries (seq, body, sig) VALUES (?, ?, ?)", direct_rows(n, Kit("bench"))
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    os.chmod(tmp, 0o444)  # sealed: read-only, no sidecars
    os.replace(tmp, path)


# -- verification -------------------------------------------------------------

SignedRow = tuple[int, bytes, bytes]


def typed_rows(path: Path) -> list[SignedRow]:
    """The rows of a ledger we built ourselves (so every value is what the writer stored)."""
    return cast(list[SignedRow], load_path(path).rows)


def signature_triples(path: Path) -> list[tuple[bytes, bytes, bytes]]:
    """(raw public key, signed message, signature) of every entry: the peer's workload.

    Entry 0 is signed by the workstation key, entry i by entry i-1's next_key, so
    every triple has its own public key, as in the ledger.
    """
    rows = typed_rows(path)
    first = decode_body(rows[0][1])
    ws_key = bytes.fromhex(json.loads(first.payload["cert"])["key"])
    out = []
    prev_body = None
    for _, body, sig in rows:
        pub = ws_key if prev_body is None else prev_body[96:128]
        out.append((pub, signed_message(body), sig))
        prev_body = body
    return out


_TRIPLES: list[tuple[bytes, bytes, bytes]] = []


def _verify_triples(start: int, stop: int) -> int:
    ok = 0
    verify = PEER["fn"]
    for pub, msg, sig in _TRIPLES[start:stop]:
        verify(pub, msg, sig)  # raises if bad
        ok += 1
    return ok


def cpu_seconds() -> tuple[float, float]:
    """(this process, its reaped children): user + system CPU seconds so far."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


class Meter:
    """Wall and CPU time of one block; pool workers count once the pool has reaped them."""

    def __enter__(self) -> Meter:
        self._wall, (self._me, self._kids) = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        me, kids = cpu_seconds()
        self.wall = time.perf_counter() - self._wall
        self.cpu_main, self.cpu_workers = me - self._me, kids - self._kids


def verify_peer(triples: list[tuple[bytes, bytes, bytes]], workers: int) -> dict[str, float]:
    """Verify all triples on a fork pool of `workers`, sliced like ours."""
    global _TRIPLES
    n, parts = len(triples), workers * 4
    bounds = [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]
    _TRIPLES = triples
    try:
        with Meter() as m, multiprocessing.get_context("fork").Pool(workers) as pool:
            ok = sum(pool.starmap(_verify_triples, bounds))
    finally:
        _TRIPLES = []
    if ok != n:
        raise RuntimeError(f"peer verified {ok} of {n} signatures")
    return {"seconds": m.wall, "cpu": m.cpu_main + m.cpu_workers, "cpu_workers": m.cpu_workers}


def verify_single_core(triples: list[tuple[bytes, bytes, bytes]], k: int) -> float:
    """The peer's Ed25519 verify rate on one core (first k triples)."""
    verify = PEER["fn"]
    t0 = time.perf_counter()
    for pub, msg, sig in triples[:k]:
        verify(pub, msg, sig)
    return min(k, len(triples)) / (time.perf_counter() - t0)


@contextlib.contextmanager
def patched(module: Any, name: str, value: object) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


@contextlib.contextmanager
def timing(module: Any, name: str, sink: dict[str, float]) -> Iterator[None]:
    """Add the wall and CPU time of every call of module.name to sink[name], sink[name_cpu]
    (to split verify_path's time without touching its code)."""
    original: Callable[..., Any] = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            sink[name] = sink.get(name, 0.0) + time.perf_counter() - t0
            sink[f"{name}_cpu"] = sink.get(f"{name}_cpu", 0.0) + time.process_time() - c0

    with patched(module, name, timed):
        yield


def verify_ours(path: Path, trust: list[bytes], workers: int, n: int) -> dict[str, float]:
    """verify_path, the real path: open (header and first row, or the whole file when
    it is not read by ranges), check on the pool, merge (timed separately)."""
    parts: dict[str, float] = {}
    with (
        timing(verify_mod, "read_into", parts),
        timing(verify_mod, "_check_span", parts),
        timing(verify_mod, "_check_all", parts),
        Meter() as m,
    ):
        verdict = verify_path(path, trust, workers=workers)
    if verdict.status is not Status.INTACT or verdict.summary["entries"] != n:
        codes = ", ".join(verdict.codes())
        raise RuntimeError(f"{path}: {verdict.status} ({codes}); delete the cache and rerun")
    load = parts.get("read_into", 0.0)
    check = parts.get("_check_span", 0.0) + parts.get("_check_all", 0.0)
    load_cpu = parts.get("read_into_cpu", 0.0)
    check_cpu = parts.get("_check_span_cpu", 0.0) + parts.get("_check_all_cpu", 0.0)
    return {
        "seconds": m.wall,
        "cpu": m.cpu_main + m.cpu_workers,
        "cpu_workers": m.cpu_workers,
        "load": load,
        "check": check,
        "rest": m.wall - load - check,
        "load_cpu": load_cpu,
        "pool_main_cpu": check_cpu,
        "rest_cpu": m.cpu_main - load_cpu - check_cpu,
        "by_ranges": float("_check_span" in parts),
    }


def add(total: dict[str, float], more: dict[str, float]) -> None:
    for key, value in more.items():
        total[key] = total.get(key, 0.0) + value


def verify_section(n: int, runs: int, workers: int, cache: Path) -> dict[str, Any]:
    """Each run alternates ours and peer, repeated until each side has had MIN_SECONDS."""
    path, build = ledger_for(n, cache)
    trust = Kit("bench").trust
    triples = signature_triples(path)
    per_run = []
    for r in range(runs):
        ours: dict[str, float] = {}
        peer: dict[str, float] = {}
        reps = 0
        while reps == 0 or ours["seconds"] < MIN_SECONDS or peer["seconds"] < MIN_SECONDS:
            gc.collect()
            if (r + reps) % 2 == 0:
                add(ours, verify_ours(path, trust, workers, n))
                add(peer, verify_peer(triples, workers))
            else:
                add(peer, verify_peer(triples, workers))
                add(ours, verify_ours(path, trust, workers, n))
            reps += 1
        single = verify_single_core(triples, 5_000)
        done = n * reps
        per_run.append(
            {
                "reps": reps,
                "ours_rate": done / ours["seconds"],
                "peer_rate": done / peer["seconds"],
                "ratio": peer["seconds"] / ours["seconds"],
                "cpu_ratio": peer["cpu"] / ours["cpu"],
                "ours_cpu_us": ours["cpu"] * 1e6 / done,
                "ours_worker_cpu_us": ours["cpu_workers"] * 1e6 / done,
                "ours_load_cpu_us": ours["load_cpu"] * 1e6 / done,
                "ours_pool_main_cpu_us": ours["pool_main_cpu"] * 1e6 / done,
                "ours_rest_cpu_us": ours["rest_cpu"] * 1e6 / done,
                "peer_cpu_us": peer["cpu"] * 1e6 / done,
                "peer_worker_cpu_us": peer["cpu_workers"] * 1e6 / done,
                "single_core_rate": single,
                "ours_load_seconds": ours["load"] / reps,
                "ours_check_seconds": ours["check"] / reps,
                "ours_rest_seconds": ours["rest"] / reps,
                "ours_by_ranges": ours["by_ranges"] / reps,
                "loadavg_1min": os.getloadavg()[0],
            }
        )
        p = per_run[-1]
        log(
            f"  verify {n:,} run {r + 1}/{runs} ({reps} reps): ours {p['ours_rate']:,.0f}/s "
            f"(open {p['ours_load_seconds']:.2f}s, check {p['ours_check_seconds']:.2f}s, "
            f"rest {p['ours_rest_seconds']:.2f}s) | peer {p['peer_rate']:,.0f}/s | "
            f"ratio {p['ratio']:.3f} | cpu µs/entry {p['ours_cpu_us']:.1f} vs "
            f"{p['peer_cpu_us']:.1f} (ratio {p['cpu_ratio']:.3f}) | load {p['loadavg_1min']:.1f}"
        )

    def med(key: str) -> float:
        return median([p[key] for p in per_run])

    keys = [k for k in per_run[0] if k != "reps"]
    return {
        "entries": n,
        "runs": runs,
        "reps_per_run": [p["reps"] for p in per_run],
        "workers": workers,
        "build": build,
        **{k: med(k) for k in keys},
        "per_run": per_run,
    }


# -- where verification time goes ---------------------------------------------


Stages = dict[str, Callable[[], object]]


def per_entry_us(stages: Stages, count: int, repeat: int) -> dict[str, float]:
    """CPU µs per entry of each stage: the best of `repeat` rounds, stages interleaved.

    CPU time, not wall time: the machine is shared, and a stage's cost is what it
    burns on a core, not how long it waited for one. Interleaving makes a burst of
    outside load hit every stage alike, and the best round is the quietest one.
    """
    best = dict.fromkeys(stages, float("inf"))
    for _ in range(repeat):
        for name, fn in stages.items():
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    return {name: t * 1e6 / count for name, t in best.items()}


def breakdown(path: Path, n: int, section: dict[str, Any]) -> dict[str, float]:
    """CPU µs per entry of each verification stage; they add up to `ours_cpu`.

    ours_cpu = open + pool_main + merge (main process) + workers_cpu
    open = read_into in the main process: the header and first row when the ranges
        are read by forked processes, else the whole file (SQLite fetch + quick_check + other)
    pool_main + workers_cpu, by ranges = check_slice + SQLite fetch + quick_check +
        fork/pool overhead: the main process checks ranges beside its children
        (forked_map); otherwise workers_cpu = check_slice + pool overhead
    check_slice = signature + check_no_sig (check_slice with signatures stubbed out);
        decode_body, parse_canonical and entry_hash are the full path's stages
    Per-entry stages are measured on the first SAMPLE_ROWS rows in this process; the
    row fetch and PRAGMA quick_check on the whole file; the main process and pool
    figures are the medians of the verify runs.
    """
    uri = f"file:{path}?mode=ro&immutable=1"

    def fetch() -> None:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute(
            "SELECT seq, iif(length(body) <= ?, body, NULL), iif(length(sig) <= 64, sig, NULL)"
            " FROM entries ORDER BY seq",
            (MAX_BODY,),
        ).fetchall()
        conn.close()

    def quick_check() -> None:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute("PRAGMA cell_size_check = ON")
        conn.execute("PRAGMA quick_check").fetchone()
        conn.close()

    rows = typed_rows(path)
    sample = rows[: min(SAMPLE_ROWS, n)]
    k = len(sample)
    bodies = [b for _, b, _ in sample]
    payloads = [b[129 + b[128] :] for b in bodies]
    keys = [bytes.fromhex(json.loads(decode_body(bodies[0]).payload["cert"])["key"])]
    keys += [b[96:128] for b in bodies[:-1]]
    first = decode_body(rows[0][1])
    reviewer = bytes.fromhex(first.payload["reviewer"]["key"])
    ctx = SliceContext(first.ledger, keys[0], reviewer)
    del rows
    gc.collect()

    def check_no_sig() -> None:
        with (
            patched(entries_mod, "verify_signature", lambda *_: True),
            patched(entries_mod, "_DETACHED", None),
        ):
            check_slice(sample, 0, k, ctx)

    us = per_entry_us(
        {"sqlite_fetch": fetch, "quick_check": quick_check}, n, 3 if n <= WRITER_MAX else 1
    )
    us |= per_entry_us(
        {
            "decode_body": lambda: [decode_body(b) for b in bodies],
            "parse_canonical": lambda: [parse_canonical(p) for p in payloads],
            "entry_hash": lambda: [entry_hash(b, s) for _, b, s in sample],
            "check_no_sig": check_no_sig,
            "signature_verify": lambda: [
                verify_signature(key, s, signed_message(b))
                for key, (_, b, s) in zip(keys, sample, strict=True)
            ],
            "raw_ed25519_verify": lambda: [
                peer_verify(key, signed_message(b), s)
                for key, (_, b, s) in zip(keys, sample, strict=True)
            ],
            "check_slice": lambda: check_slice(sample, 0, k, ctx),
        },
        k,
        5,
    )
    us["decode_rest"] = us["decode_body"] - us["parse_canonical"]
    us["check_other"] = us["check_no_sig"] - us["decode_body"] - us["entry_hash"]
    by_ranges = section["ours_by_ranges"] >= 1.0
    us["by_ranges"] = float(by_ranges)
    us["load"] = section["ours_load_cpu_us"]
    us["read"] = us["sqlite_fetch"] + us["quick_check"]
    us["load_other"] = us["load"] - (0.0 if by_ranges else us["read"])
    us["pool_main"] = section["ours_pool_main_cpu_us"]
    us["merge"] = section["ours_rest_cpu_us"]
    us["workers_cpu"] = section["ours_worker_cpu_us"]
    if by_ranges:  # this process checks ranges beside its children (forked_map)
        checking = us["pool_main"] + us["workers_cpu"]
        us["pool_overhead"] = checking - us["check_slice"] - us["read"]
    else:
        us["pool_overhead"] = us["workers_cpu"] - us["check_slice"]
    us["ours_cpu"] = section["ours_cpu_us"]
    us["peer_cpu"] = section["peer_cpu_us"]
    us["peer_main"] = section["peer_cpu_us"] - section["peer_worker_cpu_us"]
    us["peer_pool_overhead"] = section["peer_worker_cpu_us"] - us["raw_ed25519_verify"]
    us["ours_wall"] = 1e6 / section["ours_rate"]
    us["peer_wall"] = 1e6 / section["peer_rate"]
    return us


# -- output -------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Cleanroom ledger benchmark ({report['mode']}), {report['date']}",
        f"machine: {m['cpu']}, {m['cpus_usable']} usable CPUs, load average "
        f"{m['loadavg_at_start'][0]:.1f} at start, {m['loadavg_at_end'][0]:.1f} at end; "
        f"Python {m['python']}, SQLite {m['sqlite']}, cryptography {m['cryptography']} "
        f"({m['openssl']})",
        f"cleanroom measured: {m['cleanroom']}",
        f"bench dir: {m['bench_dir']} on {m['bench_fs']['device']} ({m['bench_fs']['type']}), "
        f"same filesystem as the repo: {m['same_fs_as_repo']}",
    ]
    if report["append"] is not None:
        lines += ["", *render_append(report["append"])]
    if report["ed25519"] is not None:
        lines += ["", *render_ed25519(report["ed25519"])]
    if report["verify"]:
        lines += ["", *render_verify(report["verify"], m["workers"])]
    for n, us in report["breakdown"].items():
        lines += ["", *render_breakdown(int(n), us)]
    return "\n".join(lines)


def render_append(a: dict[str, Any]) -> list[str]:
    ok = a["rate"] >= TARGET_APPEND_RATE and a["p99_ms"] < TARGET_APPEND_P99_MS
    return [
        f"DURABLE APPEND  ({a['runs']} runs x {a['appends_per_run']:,} appends, "
        f"view bodies of {a['body_bytes']} B; latencies pooled over "
        f"{a['latency_samples']:,} appends)",
        f"  {'':34}{'per second':>12}{'p50 ms':>9}{'p99 ms':>9}{'(runs)':>9}{'max ms':>9}",
        f"  {'ours: Ledger.append':34}{a['rate']:>12,.0f}{a['p50_ms']:>9.3f}"
        f"{a['p99_ms']:>9.3f}{a['p99_ms_run_median']:>9.3f}{a['max_ms']:>9.2f}",
        f"  {'peer: SQLite 1-row commit (FULL)':34}{a['sqlite_commit_rate']:>12,.0f}"
        f"{a['sqlite_p50_ms']:>9.3f}{a['sqlite_p99_ms']:>9.3f}"
        f"{a['sqlite_p99_ms_run_median']:>9.3f}{a['sqlite_max_ms']:>9.2f}",
        f"  {'peer: Ed25519 sign':34}{a['sign_rate']:>12,.0f}",
        f"  {'peer: Ed25519 keygen':34}{a['keygen_rate']:>12,.0f}",
        f"  {'floor: commit+sign+keygen serial':34}{a['floor_rate']:>12,.0f}",
        "  per second: median of runs; p99: over all appends of all runs; (runs): median of"
        " the per-run p99s",
        f"  ratio ours/commit {a['ratio_vs_commit']:.3f}, ours/floor {a['ratio_vs_floor']:.3f}; "
        f"target >= {TARGET_APPEND_RATE:,}/s with p99 < {TARGET_APPEND_P99_MS} ms: "
        f"{'met' if ok else 'NOT met'}",
    ]


def render_ed25519(e: dict[str, Any]) -> list[str]:
    lines = [
        f"ED25519 VERIFIERS INSTALLED  (one core, CPU time, {PICK_TRIPLES:,} fresh keys, "
        "best of 3; the fastest is the verify peer)"
    ]
    for name, rate in sorted(e["rates"].items(), key=lambda kv: -kv[1]):
        mark = "  <- peer" if name == e["peer"] else ""
        lines.append(f"  {name:44}{rate:>10,.0f}/s{mark}")
    return lines


def render_verify(sections: list[dict[str, Any]], workers: int) -> list[str]:
    lines = [
        f"VERIFICATION  (verify_path, {workers} workers, vs the same triples on a "
        f"{workers}-worker fork pool, verified by the peer above)",
        f"  {'entries':>10}{'runs':>5}{'ours/s':>9}{'peer/s':>9}{'ratio':>7}{'1-core/s':>9}"
        f"{'cpu µs/entry ours':>19}{'peer':>7}{'ratio':>7}   target: ratio >= "
        f"{TARGET_VERIFY_RATIO:.0%}",
    ]
    for v in sections:
        verdict = ", ".join(
            f"{what} {'met' if v[key] >= TARGET_VERIFY_RATIO else 'NOT met'}"
            for what, key in (("wall", "ratio"), ("cpu", "cpu_ratio"))
        )
        lines.append(
            f"  {v['entries']:>10,}{v['runs']:>5}{v['ours_rate']:>9,.0f}{v['peer_rate']:>9,.0f}"
            f"{v['ratio']:>7.3f}{v['single_core_rate']:>9,.0f}{v['ours_cpu_us']:>19.1f}"
            f"{v['peer_cpu_us']:>7.1f}{v['cpu_ratio']:>7.3f}   {verdict}"
        )
    lines.append(
        "  medians of runs; ratio = peer wall time / ours (the target); cpu = user+sys of"
        " all processes per entry, which other load on the machine does not distort"
    )
    for v in sections:
        b = v["build"]
        lines.append(
            f"  {v['entries']:,}-entry ledger: {b['description']}; built in "
            f"{b['build_seconds']} s{' (cached)' if b['cached'] else ''}"
        )
    return lines


def render_breakdown(n: int, us: dict[str, float]) -> list[str]:
    read = f"SQLite fetch {us['sqlite_fetch']:.2f}, quick_check {us['quick_check']:.2f}"
    if us["by_ranges"]:  # this process checks ranges too (forked_map): count it with them
        main = (
            f"open (header, first row) {us['load']:.2f} + its share of the ranges "
            f"{us['pool_main']:.2f} + context/merge/summary {us['merge']:.2f}"
        )
        checked = f"all processes: check_slice {us['check_slice']:.2f} + reading by ranges ({read})"
    else:
        main = (
            f"load {us['load']:.2f} ({read}, other {us['load_other']:.2f}) + pool "
            f"setup/results {us['pool_main']:.2f} + context/merge/summary {us['merge']:.2f}"
        )
        checked = f"check_slice {us['check_slice']:.2f}"
    return [
        f"WHERE VERIFY TIME GOES, {n:,} entries (CPU µs per entry; wall ours "
        f"{us['ours_wall']:.1f} vs peer {us['peer_wall']:.1f})",
        f"  ours {us['ours_cpu']:.2f} = main: {main} + workers {us['workers_cpu']:.2f}",
        f"       = {checked} + fork/pool overhead {us['pool_overhead']:.2f}",
        f"  check_slice {us['check_slice']:.2f}: signature {us['signature_verify']:.2f} "
        f"(raw Ed25519 {us['raw_ed25519_verify']:.2f}); without signatures "
        f"{us['check_no_sig']:.2f} (most entries take check_rows' fast path; the full path"
        f" costs decode_body {us['decode_body']:.2f} (parse_canonical "
        f"{us['parse_canonical']:.2f}) + entry_hash {us['entry_hash']:.2f} + checks)",
        f"  peer {us['peer_cpu']:.2f} = main {us['peer_main']:.2f} + workers: Ed25519 verify "
        f"{us['raw_ed25519_verify']:.2f} + pool overhead {us['peer_pool_overhead']:.2f}",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10k entries only, 3 runs")
    ap.add_argument("--json", action="store_true", help="JSON on stdout (table on stderr)")
    ap.add_argument("--runs", type=int, help="runs per measurement (default 5, quick 3)")
    ap.add_argument("--runs-large", type=int, help="runs for ledgers > 10k (default 3)")
    ap.add_argument("--appends", type=int, help="appends per run (default 5000, quick 2000)")
    ap.add_argument("--sizes", help="comma-separated ledger sizes (default 10000,1000000)")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "cleanroom-bench"
    )
    ap.add_argument("--only", choices=("append", "verify"), help="run one of the two parts")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the µs/entry breakdown")
    args = ap.parse_args(argv)

    runs = args.runs or (3 if args.quick else 5)
    runs_large = args.runs_large or min(runs, 3)
    appends = args.appends or (2_000 if args.quick else 5_000)
    default_sizes = "10000" if args.quick else "10000,1000000"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    cache: Path = args.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    machine = machine_info(cache, args.workers)
    if machine["bench_fs"]["type"] in ("tmpfs", "ramfs") or not machine["same_fs_as_repo"]:
        log(f"warning: {cache} is on {machine['bench_fs']}, not the repo's filesystem")

    report: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": " ".join([".venv/bin/python", "scripts/bench/ledger.py", *sys.argv[1:]]),
        "machine": machine,
    }
    report["append"] = None
    report["verify"] = []
    report["breakdown"] = {}
    report["ed25519"] = None
    if args.only != "verify":
        log(f"append: {runs} runs x {appends} appends in {cache}")
        report["append"] = append_section(cache, runs, appends)
    if args.only != "append":
        log(f"ed25519: ranking the verifiers installed here on {PICK_TRIPLES:,} fresh keys")
        PEER.update(pick_peer())
        report["ed25519"] = {"rates": PEER["rates"], "peer": PEER["peer"]}
        for name, rate in PEER["rates"].items():
            log(f"  {name}: {rate:,.0f}/s on one core")
    for n in sizes if args.only != "append" else []:
        r = runs if n <= WRITER_MAX else runs_large
        log(f"verify: {n:,} entries, {r} runs, {args.workers} workers")
        section = verify_section(n, r, args.workers, cache)
        report["verify"].append(section)
        if not args.no_breakdown:
            log(f"  breakdown for {n:,} entries ...")
            path, _ = ledger_for(n, cache)
            report["breakdown"][str(n)] = breakdown(path, n, section)
    report["machine"]["loadavg_at_end"] = list(os.getloadavg())

    table = render(report)
    if args.json:
        print(table, file=sys.stderr)
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
