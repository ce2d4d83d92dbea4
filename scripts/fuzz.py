#!/usr/bin/env python3
"""Coverage-guided fuzzing of the verifier entry points with atheris (libFuzzer).

Usage:
  scripts/fuzz.py [--seconds N] [--target NAME]... [--crashes DIR] [--work DIR]
  scripts/fuzz.py --list
  scripts/fuzz.py --make-corpus

Each target (tests/fuzz_targets.py) runs in its own process for --seconds,
starting from its seed corpus in tests/fuzz_corpus/<target>/ (never written)
and a working corpus in --work/<target>/ (kept between runs). Half of the
mutations are libFuzzer's byte edits, half are structure-aware
(tests/fuzz_mutators.py). Any input that raises an undocumented exception,
writes a file, runs over 10 s or over 2 GB is saved in --crashes as
<target>-crash-* / -timeout-* / -oom-*. A table of executions, coverage and
findings per target is printed at the end; the exit code is 1 if anything was
found. Needs the `fuzz` extra: .venv/bin/pip install -e '.[fuzz]'.
See docs/fuzzing.md.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TIMEOUT_SECONDS = 10
RSS_LIMIT_MB = 2048
# Whose coverage guides each target (the code it exists to reach).
INSTRUMENT = {
    "ledger_image": ("cleanroom.ledger", "cleanroom.forensics"),
    "ledger_files": ("cleanroom.ledger",),
    "entry_body": ("cleanroom.ledger.encoding",),
    "canonical_json": ("cleanroom.ledger.encoding",),
    "certificate": ("cleanroom.ledger",),
    "witness": ("cleanroom.ledger.witness",),
    "snapshot": ("cleanroom.snapshot", "cleanroom.ledger"),
}
NAMES = [
    "ledger_image",
    "ledger_files",
    "entry_body",
    "canonical_json",
    "certificate",
    "witness",
    "snapshot",
]


def child(target: str, seconds: int, crashes: Path, work: Path, seed: int) -> None:
    """Run one target under atheris; never returns (libFuzzer exits)."""
    import atheris

    # Only modules first imported inside this block are instrumented: import the
    # targets (and through them all of cleanroom) here, before anything else.
    with atheris.instrument_imports(include=list(INSTRUMENT[target])):
        from tests.fuzz_mutators import mutate
        from tests.fuzz_targets import CORPUS, TARGETS

    t = TARGETS[target]

    def custom_mutator(data: bytes, max_size: int, mseed: int) -> bytes:
        rng = random.Random(mseed)
        if rng.randrange(2):
            return atheris.Mutate(data, max_size)
        return mutate(target, data, rng)[:max_size]

    (work / target).mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.argv[0],
        f"-max_total_time={seconds}",
        f"-max_len={t.max_len}",
        f"-timeout={TIMEOUT_SECONDS}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-artifact_prefix={crashes}/{target}-",
        f"-seed={seed}",
        "-print_final_stats=1",
        "-print_pcs=0",
        str(work / target),
        str(CORPUS / target),
    ]
    atheris.Setup(argv, t.run, custom_mutator=custom_mutator)
    atheris.Fuzz()


STAT = re.compile(r"^stat::(\w+):\s*(\d+)", re.M)
COV = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)")


def run(target: str, seconds: int, crashes: Path, work: Path, seed: int) -> dict[str, object]:
    log = work / f"{target}.log"
    work.mkdir(parents=True, exist_ok=True)
    before = set(crashes.glob(f"{target}-*")) if crashes.exists() else set()
    started = time.monotonic()
    with open(log, "w") as out:
        cmd = [sys.executable, __file__, "--child", target, "--seconds", str(seconds),
               "--crashes", str(crashes), "--work", str(work), "--seed", str(seed)]  # fmt: skip
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    text = log.read_text(errors="replace")
    stats = dict(STAT.findall(text))
    cov = COV.findall(text)
    found = sorted(set(crashes.glob(f"{target}-*")) - before) if crashes.exists() else []
    return {
        "target": target,
        "seconds": round(time.monotonic() - started),
        "execs": int(stats.get("number_of_executed_units", cov[-1][0] if cov else 0)),
        "cov": cov[-1][1] if cov else "?",
        "ft": cov[-1][2] if cov else "?",
        "corpus": cov[-1][3] if cov else "?",
        "rss_mb": stats.get("peak_rss_mb", "?"),
        "rc": rc,
        # A run that stopped without saving an input (a harness error) is a finding too.
        "found": [p.name for p in found] or ([f"exit {rc}, see the log"] if rc else []),
        "log": str(log),
    }


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seconds", type=int, default=300, help="run time per target (default 300)")
    p.add_argument(
        "--target", action="append", choices=NAMES, help="a target (repeatable; default all)"
    )
    p.add_argument(
        "--crashes", type=Path, default=ROOT / ".fuzz" / "crashes", help="where findings go"
    )
    p.add_argument("--work", type=Path, default=ROOT / ".fuzz", help="working corpora and logs")
    p.add_argument("--seed", type=int, default=1, help="libFuzzer's -seed")
    p.add_argument("--list", action="store_true", help="list the targets and exit")
    p.add_argument("--make-corpus", action="store_true", help="rebuild tests/fuzz_corpus seeds")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    crashes, work = a.crashes.resolve(), a.work.resolve()
    if a.child:
        child(a.child, a.seconds, crashes, work, a.seed)
        return 0
    if a.list:
        from tests.fuzz_targets import TARGETS

        for t in TARGETS.values():
            print(f"{t.name:16} {t.run.__doc__.splitlines()[0]}")
        return 0
    if a.make_corpus:
        from tests.fuzz_seeds import write_corpus

        print(f"wrote {write_corpus()} seed files")
        return 0
    os.environ.setdefault("PYTHONHASHSEED", "0")
    results = [run(t, a.seconds, crashes, work, a.seed) for t in (a.target or NAMES)]
    row = "{:16} {:>5} {:>9} {:>7} {:>6} {:>6} {:>6} {:>6}  {}"
    print(row.format("target", "s", "execs", "exec/s", "cov", "ft", "corpus", "rss MB", "found"))
    for r in results:
        rate = int(r["execs"]) // max(1, int(r["seconds"]))
        found = ", ".join(r["found"]) or "-"
        print(row.format(r["target"], r["seconds"], r["execs"], rate, r["cov"], r["ft"],
                         r["corpus"], r["rss_mb"], found))  # fmt: skip
    return 1 if any(r["found"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
