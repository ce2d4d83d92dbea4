"""`cleanroom notes check` speed: 1,000 notes of 2 KB against the Linux snapshot.

Issue 16's target: the check over 1,000 notes of 2 KB each takes at most 10 s.
The notes are made deterministically (seed 16) from the snapshot itself:
one in five quotes 50 to 200 characters of a random C file (re-wrapped, as a
reviewer pastes), the rest describe code in prose that names identifiers taken
from random files. Each run opens a fresh `SnapshotText` (nothing in memory carried
between runs) and checks all notes; the time includes opening it, so the name
table (ADR 0402) and word-pair filter (ADR 0403) are built in a run that finds
none cached in --cache-dir (a "cold" run: give an empty directory to measure
one) and read from the cache in the others ("warm"). `--index-only` measures
the check without them (the trigram index alone, as before ADR 0402). The figure is the median wall
time of the warm runs (of all runs when none is warm), with CPU time, the
process's peak RSS after each run and the load average; every 100 notes a
progress line on stderr. It reports and never asserts. `--findings FILE` writes
what the last run found (each note's fragments with their places, rare names
with theirs, and its count of unconfirmed windows; one JSON line a note), so two
versions of the check can be compared byte for byte (`cmp`).

    .venv/bin/python scripts/bench/notes.py [--snapshot S] [--notes 1000] [--runs 3]
        [--cache-dir /tmp/cleanroom-bench/notes-names] [--index-only] [--findings FILE]

`--count-sample K` measures the cold name count alone instead (ADR 0408): the
names of the text blobs whose rowid is a multiple of K, counted into a private
temporary database as `--no-cache` does, with its CPU time and the process's
peak RSS before and after (K = 1: every blob).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

from cleanroom.forensics.notes import WrittenNote
from cleanroom.ledger.verdict import Status
from cleanroom.notecheck.check import NoteCheck, check_notes
from cleanroom.notecheck.corpus import SnapshotText
from cleanroom.session.events import Note
from cleanroom.snapshot.store import Snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.ledgerkit import seeded_key  # noqa: E402

PROSE = (
    "The function does not check the length before it copies into the buffer",
    "a caller that passes a larger value can write past the end",
    "The lock is taken in one path and released in another",
    "under memory pressure the error path returns early and leaves it held",
    "We could not find where the reference count is dropped when the device goes away",
    "the comment above the loop no longer matches what the loop does",
    "Consider whether the value read from user space is validated twice",
)
_IDENT = re.compile(rb"\b[a-z][a-z0-9]*_[a-z0-9_]{3,}\b")


def make_notes(snap: Snapshot, count: int, seed: int = 16) -> list[WrittenNote]:
    rng = random.Random(seed)
    files = [f for f in snap.files() if f.kind.value == "file" and f.path.endswith(b".c")]
    notes = []
    for i in range(count):
        info = rng.choice(files)
        content = snap.read(info.blob, 0, min(info.size, 1 << 16))
        idents = _IDENT.findall(content) or [b"probe_function"]
        parts: list[str] = []
        if i % 5 == 0 and len(content) > 400:
            at = rng.randrange(0, len(content) - 300)
            quote = content[at : at + rng.randrange(50, 200)].decode("utf-8", "replace")
            parts.append("The code reads:\n    " + "\n    ".join(quote.split()) + "\n")
        while sum(map(len, parts)) < 2000:
            name = rng.choice(idents).decode()
            parts.append(f"In {name}(), {rng.choice(PROSE).lower()}.")
        body = " ".join(parts)[:2048]
        note = Note(
            info.path, f"{i:032x}", 1, "finding", "medium", f"note {i}", body, info.blob.hex(), 1, 1
        )
        notes.append(WrittenNote(note, "", "", "", i, None, None, Status.INTACT, False, 1))
    return notes


def findings_line(c: NoteCheck) -> str:
    """One note's findings as a JSON line (paths as latin-1: any bytes, one character each)."""

    def where(places) -> list:
        return [[p.path.decode("latin-1"), p.line] for p in places]

    return json.dumps(
        {
            "fragments": [[f.field, f.text, where(f.places), f.partial] for f in c.fragments],
            "rare": [[r.name, where(r.places)] for r in c.rare],
            "unconfirmed": c.unconfirmed,
        },
        ensure_ascii=True,
    )


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


def count_sample(path: str, trust: list[bytes], every: int) -> None:
    from cleanroom.notecheck.names import count_here, count_names
    from cleanroom.snapshot.catalog import read_catalog
    from cleanroom.snapshot.readonly import connect

    with Snapshot.open(path, trust):  # its signature verified, as a check does
        pass
    meta = connect(Path(path), mmap=True)
    catalog = read_catalog(meta)

    def paths_of(rowid: int) -> int:
        first = catalog.first.get(rowid)
        if rowid % every or first is None:
            return 0
        return 1 + len(catalog.more.get(rowid, ()))

    scan = connect(Path(path))
    before = peak_gb()
    t0, c0 = time.perf_counter(), time.process_time()
    table = count_here(lambda into: count_names(scan, paths_of, into))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    (names,) = table._conn.execute("SELECT count(*) FROM names").fetchone()
    table.close()
    load = os.getloadavg()
    print(
        f"name count of every {every} text blob(s) of {path}: {names} names, {cpu:.1f} s CPU, "
        f"{wall:.1f} s wall, peak RSS {peak_gb():.2f} GB ({before:.2f} GB before counting); "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snapshot", default="/tmp/linuxsrc/linux.snapshot")
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench/notes-names"))
    ap.add_argument("--index-only", action="store_true", help="no name table")
    ap.add_argument("--findings", type=Path, help="write the last run's findings here")
    ap.add_argument("--count-sample", type=int, metavar="K", help="time the name count alone")
    args = ap.parse_args()
    trust = [seeded_key("v").public_key().public_bytes_raw()]
    if args.count_sample:
        count_sample(args.snapshot, trust, args.count_sample)
        return
    with Snapshot.open(args.snapshot, trust) as snap:
        notes = make_notes(snap, args.notes)
        walls, cpus, warm = [], [], []
        for run in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            corpus = SnapshotText(snap, names=not args.index_only, cache_dir=args.cache_dir)
            opened = time.perf_counter() - t0
            how = (
                "index only" if args.index_only else "cached" if corpus.names_cached else "counted"
            )
            done = [0]

            def tick(corpus=corpus, t0=t0, c0=c0, done=done) -> None:
                done[0] += 1
                if done[0] % 100 == 0:
                    print(
                        f"  {done[0]} notes: {time.perf_counter() - t0:.1f} s wall, "
                        f"{time.process_time() - c0:.1f} s CPU, {corpus.queries} lookups, "
                        f"{corpus.reads} blobs read",
                        file=sys.stderr,
                        flush=True,
                    )

            checked = check_notes(notes, corpus, progress=tick)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            flagged = sum(1 for c in checked if c.fragments)
            rare = sum(1 for c in checked if c.rare)
            print(
                f"run {run + 1}: {wall:.2f} s wall ({opened:.2f} s opening, name table {how}), "
                f"{cpu:.2f} s CPU; {flagged} notes with "
                f"verbatim runs, {rare} with rare names; {corpus.ruled_out} windows ruled out "
                f"by word pairs, {corpus.queries} index lookups, {corpus.reads} blobs read; "
                f"peak RSS so far {peak_gb():.2f} GB",
                file=sys.stderr,
            )
            corpus.close()
            if args.findings is not None:
                args.findings.write_text("".join(findings_line(c) + "\n" for c in checked))
            walls.append(wall)
            cpus.append(cpu)
            warm.append(how != "counted")
    load = os.getloadavg()
    if any(warm):
        walls = [w for w, ok in zip(walls, warm, strict=True) if ok]
        cpus = [c for c, ok in zip(cpus, warm, strict=True) if ok]
    kind = "index only" if args.index_only else "warm" if any(warm) else "cold"
    print(
        f"notes check ({kind}, {len(walls)} runs), {args.notes} notes of 2 KB, "
        f"{args.snapshot}: median "
        f"{statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
        f"(target <= 10 s); load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


if __name__ == "__main__":
    main()
