"""Quick open's names over 200,000 paths: one request's time, hostile and typed.

    .venv/bin/python scripts/bench/quick_open.py            # 5 runs
    .venv/bin/python scripts/bench/quick_open.py --runs 3 --before FILE

- **hostile**: one request for a 254-character query of 85 distinct two-letter
  terms over 200,000 vendor names that each hold every term (the alphabet and
  digits seven times), and the issue's 128-term query (`e e … ex`) over the
  200,000 ordinary names.
- **typing**: ordinary queries typed one key at a time over 200,000 ordinary
  names (the Linux 6.1 tree's paths under three prefixes when
  /tmp/linuxsrc/linux-source-6.1 is there, else made-up ones), one request per
  key, as the terminal sends them when keys come slower than answers.

Each figure is a median over runs (a fresh matcher each run), wall and CPU
(process time) of the matching alone (`session/name_matcher.py`; the recorder
adds the entry's append). `--before FILE` measures a `pathmatch.py` of before
the bound instead (`git show e39b3d0:cleanroom/session/pathmatch.py > FILE`):
its `rank` over every name at every key.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from cleanroom.session.name_matcher import NameMatcher

LINUX = Path("/tmp/linuxsrc/linux-source-6.1")
COUNT = 200_000
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
HOSTILE = " ".join(a + b for a, b in zip(ALPHABET * 5, ALPHABET[1:] * 5, strict=False))[:254]
ISSUE = " ".join(["e"] * 127) + "x"  # 128 terms, 254 characters (one term, twice over, now)
TYPED = ("drivers net ethernet intel e1000e netdev.c", "sched core.c", "ext4 inode", "zzzz")

# (paths, query sequence) -> one (wall s, cpu s, searched, matches) per query
Runner = Callable[[list[bytes], list[str]], list[tuple[float, float, int, int]]]


def ordinary_names() -> tuple[list[bytes], str]:
    names: list[bytes] = []
    if LINUX.is_dir():
        for d, dirs, files in os.walk(LINUX):
            dirs.sort()
            names += [os.path.relpath(os.path.join(d, f), LINUX).encode() for f in sorted(files)]
        where = f"{len(names):,} Linux 6.1 paths under 3 prefixes"
    else:
        names = [b"src/m%03d/d%02d/file_%05d.c" % (i % 997, i % 31, i) for i in range(COUNT)]
        where = "made-up paths"
    out = [p + n for p in (b"", b"mirror/", b"vendor/") for n in names][:COUNT]
    return out, where


def hostile_names() -> list[bytes]:
    return [b"v/%06d/" % i + ALPHABET.encode() * 7 for i in range(COUNT)]


def bounded(paths: list[bytes], queries: list[str]) -> list[tuple[float, float, int, int]]:
    matcher = NameMatcher(paths, 100)
    out = []
    for q in queries:
        wall, cpu = time.perf_counter(), time.process_time()
        found = matcher.match(q)
        out.append((time.perf_counter() - wall, time.process_time() - cpu, found.searched,
                    found.matches))  # fmt: skip
    return out


def before(module_file: str) -> Runner:
    spec = importlib.util.spec_from_file_location("pathmatch_before", module_file)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    old.__package__ = "cleanroom.session"
    spec.loader.exec_module(old)

    def run(paths: list[bytes], queries: list[str]) -> list[tuple[float, float, int, int]]:
        texts = old.folded(paths)
        out = []
        for q in queries:
            wall, cpu = time.perf_counter(), time.process_time()
            _, matches = old.rank(paths, texts, q, 100)
            out.append((time.perf_counter() - wall, time.process_time() - cpu, len(paths),
                        matches))  # fmt: skip
        return out

    return run


def keys(query: str) -> list[str]:
    return [query[:i] for i in range(1, len(query) + 1)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before", metavar="FILE", help="a pathmatch.py of before the bound")
    args = ap.parse_args()
    run: Runner = before(args.before) if args.before else bounded
    ordinary, where = ordinary_names()
    hostile = hostile_names()
    print(f"# {'before: ' + args.before if args.before else 'bounded'}; {len(ordinary):,} "
          f"ordinary names ({where}), {len(hostile):,} hostile; {args.runs} runs; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| case | wall median s | CPU median s | searched | matches |")
    print("|---|---|---|---|---|")
    for label, paths, query in (("hostile 85 terms", hostile, HOSTILE),
                                ("issue's 128 terms", ordinary, ISSUE)):  # fmt: skip
        got = [run(paths, [query])[0] for _ in range(args.runs)]
        print(
            f"| {label} | {statistics.median(g[0] for g in got):.3f} | "
            f"{statistics.median(g[1] for g in got):.3f} | {got[0][2]:,} | {got[0][3]:,} |"
        )
    print()
    print(
        "| typed, one request per key | keys | wall median ms | p95 ms | max ms | "
        "CPU all keys s | partial answers |"
    )
    print("|---|---|---|---|---|---|---|")
    for query in TYPED:
        walls, cpus, partial = [], [], 0
        for _ in range(args.runs):
            got = run(ordinary, keys(query))
            walls += [g[0] for g in got]
            cpus.append(sum(g[1] for g in got))
            partial += sum(1 for g in got if g[2] < len(ordinary))
        walls.sort()
        p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
        print(f"| {query} | {len(query)} | {statistics.median(walls) * 1000:.1f} | "
              f"{p95 * 1000:.1f} | {walls[-1] * 1000:.1f} | {statistics.median(cpus):.2f} | "
              f"{partial / args.runs:.1f} |")  # fmt: skip
    print(f"# load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
