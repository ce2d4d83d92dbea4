"""CPU µs per entry of each stage of `cleanroom verify`, libsodium aside.

Issue 10 §5 leaves everything but the signature check about 4.3 µs per entry.
This script measures that budget directly: `verify_path` on a real ledger with
the signature check replaced by a stub (`everything_but_signatures`, all
processes, fork pool included), then its stages one by one in this process, and
last the cost of interleaving signatures with the other work (`interleaving`):

    .venv/bin/python scripts/bench/verify_stages.py [LEDGER ...] [--repeat 5]

LEDGER defaults to the 10k and 1M ledgers `scripts/bench/ledger.py` caches in
/tmp/cleanroom-bench. CPU time (user + system, children reaped), best of
--repeat rounds: on a shared machine a stage's cost is what it burns, not how
long it waited for a core.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import resource
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cleanroom.ledger import entries as entries_mod
from cleanroom.ledger import verify as verify_mod
from cleanroom.ledger.encoding import decode_body, entry_hash, parse_canonical, signed_message
from cleanroom.ledger.keys import verify_signature
from cleanroom.ledger.load import SEQ_MAX, SEQ_MIN, ReadBudget, check_file, read_range

CACHE = Path("/tmp/cleanroom-bench")
DEFAULT = [
    CACHE / "ledger-10000-writer-v1.ledger",
    CACHE / "ledger-1000000-direct-v1.ledger",
]
SAMPLE = 20_000  # rows for the in-process stages


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best_us(fn: Callable[[], object], count: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = cpu()
        fn()
        best = min(best, cpu() - t0)
    return best * 1e6 / count


@contextlib.contextmanager
def no_signatures() -> Iterator[None]:
    """Every signature check answers True at once (the fork pool inherits this)."""
    saved = entries_mod.verify_signature, getattr(entries_mod, "_DETACHED", None)
    entries_mod.verify_signature = lambda *_: True  # type: ignore[assignment]
    entries_mod._DETACHED = None
    try:
        yield
    finally:
        entries_mod.verify_signature, entries_mod._DETACHED = saved


def stages(path: Path, repeat: int) -> dict[str, float]:
    trust = _trust()
    verdict = verify_mod.verify_path(path, trust)
    if verdict.status.name != "INTACT":
        raise SystemExit(f"{path}: {verdict.status} {verdict.codes()}")
    n = verdict.summary["entries"]
    out: dict[str, float] = {"entries": float(n)}
    with no_signatures():  # first, while this process is small, as `cleanroom verify` is
        out["everything_but_signatures"] = best_us(
            lambda: verify_mod.verify_path(path, trust), n, repeat
        )
        out["one_worker_but_signatures"] = best_us(
            lambda: verify_mod.verify_path(path, trust, workers=1), n, repeat
        )
    source = _source(path)
    sample = list(read_range(source, ReadBudget(), 0, SAMPLE - 1, []))[1:]
    k = len(sample)
    with no_signatures():
        first = verify_mod._context(sample[0], trust, frozenset())[0]
        out["check_rows_no_sig"] = best_us(
            lambda: entries_mod.check_rows(iter(sample[1:]), sample[0], first), k, repeat
        )

    def read_all() -> None:
        for _ in read_range(source, ReadBudget(), SEQ_MIN, SEQ_MAX, []):
            pass

    out["read_range"] = best_us(read_all, n, repeat)
    out["quick_check"] = best_us(lambda: check_file(source, ReadBudget()), n, repeat)
    bodies = [b for _, b, _ in sample]
    payloads = [b[129 + b[128] :] for b in bodies]
    out["decode_body"] = best_us(lambda: [decode_body(b) for b in bodies], k, repeat)
    out["parse_canonical"] = best_us(lambda: [parse_canonical(p) for p in payloads], k, repeat)
    out["entry_hash"] = best_us(lambda: [entry_hash(b, s) for _, b, s in sample], k, repeat)
    keys = [first.workstation_key] + [b[96:128] for b in bodies[:-1]]
    out["signature"] = best_us(
        lambda: [
            verify_signature(key, s, signed_message(b))  # type: ignore[arg-type]
            for key, (_, b, s) in zip(keys, sample, strict=True)
        ],
        k,
        max(1, repeat // 2),
    )
    out.update(interleaving(sample, keys, repeat))
    return out


def interleaving(sample: list[tuple], keys: list[bytes], repeat: int) -> dict[str, float]:
    """Why check_rows checks a run's signatures after its other checks: the same
    signatures and the same per-entry work (canonical payload, entry hash), alone,
    interleaved entry by entry, and in runs of entries.CHUNK."""
    from cleanroom.ledger.ed25519 import DETACHED, verify_signature
    from cleanroom.ledger.encoding import ENTRY_DOMAIN, SIG_DOMAIN, canonical_object

    def sig(key: bytes, body: bytes, s: bytes) -> object:
        m = SIG_DOMAIN + body
        return DETACHED(s, m, len(m), key) if DETACHED else verify_signature(key, s, m)

    def work(body: bytes, s: bytes) -> None:
        canonical_object(body[129 + body[128] :])
        hashlib.sha256(ENTRY_DOMAIN + body + s).digest()

    rows = [(key, b, s) for key, (_, b, s) in zip(keys, sample, strict=True)]

    def runs(size: int) -> None:
        for i in range(0, len(rows), size):
            for _, b, s in rows[i : i + size]:
                work(b, s)
            for key, b, s in rows[i : i + size]:
                sig(key, b, s)

    stages = {
        "sig_alone": lambda: [sig(k, b, s) for k, b, s in rows],
        "work_alone": lambda: [work(b, s) for _, b, s in rows],
        "sig_work_interleaved": lambda: [(work(b, s), sig(k, b, s)) for k, b, s in rows],
        "sig_work_in_runs": lambda: runs(entries_mod.CHUNK),
    }
    return {name: best_us(fn, len(rows), max(1, repeat // 2)) for name, fn in stages.items()}


def _trust() -> list[bytes]:
    sys.path.append(str(Path(__file__).resolve().parents[2]))
    from tests.ledgerkit import Kit  # the bench's own keys (scripts/bench/ledger.py)

    return Kit("bench").trust


def _source(path: Path) -> verify_mod.Source:
    from cleanroom.ledger.load import Source, _uri

    return Source(f"{_uri(path)}?mode=ro&immutable=1", path.stat().st_size)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ledgers", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    import os

    print(f"load average {os.getloadavg()[0]:.1f}; CPU µs per entry, best of {args.repeat}")
    for path in args.ledgers:
        t0 = time.perf_counter()
        us = stages(path, args.repeat if path.stat().st_size < 50 << 20 else 1)
        n = int(us.pop("entries"))
        print(f"{path.name} ({n:,} entries, {time.perf_counter() - t0:.0f} s)")
        for name, value in us.items():
            print(f"  {name:28} {value:7.2f}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
