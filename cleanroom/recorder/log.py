"""The recorder's own log: one line per event on stderr (journald under systemd).
Peer-supplied text is never written here, only counts, ids and reasons."""

from __future__ import annotations

import sys
import time


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"{stamp} cleanroom-recorder: {message}", file=sys.stderr, flush=True)
