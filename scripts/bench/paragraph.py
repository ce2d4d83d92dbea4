"""CPU cost of `{` / `}` (session/paragraph.py) at its worst: a file with no empty
line, so the move reads every line from the start line to the file's end (or
start). Prints the median CPU seconds of `runs` moves each way.

    .venv/bin/python scripts/bench/paragraph.py [--mb 40] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cleanroom.session.document import BytesDocument
from cleanroom.session.paragraph import paragraph_line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    line = b"static int value_%d = 42; /* no empty line anywhere */\n"
    data = b"".join(line % i for i in range(args.mb * 1024 * 1024 // len(line % 0)))
    doc = BytesDocument(data, b"big.c")
    for forward, start in ((True, 1), (False, doc.line_count)):
        times = []
        for _ in range(args.runs):
            t = time.process_time()
            target = paragraph_line(doc, start, forward)
            times.append(time.process_time() - t)
        name = "}" if forward else "{"
        print(f"{name} over {doc.line_count:,} lines ({len(data) / 2**20:.0f} MiB) -> {target}: "
              f"median {statistics.median(times) * 1000:.0f} ms CPU of {args.runs}")  # fmt: skip


if __name__ == "__main__":
    main()
