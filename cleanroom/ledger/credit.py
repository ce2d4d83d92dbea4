"""How much of a session each file is credited with, when files claim one session.

Several verified files may name the same ledger id. `copies` (sessions.py) already
counts byte copies once (same head). Two more cases (ADR 0308):

- a PREFIX: one file's entries are exactly the first entries of another's (its
  head is the other's entry at the same seq). It holds nothing the longer one
  lacks, and anyone holding the live file can make one without a key: it is
  counted once, as the longer file.
- a FORK: the files agree up to some entry and differ after it. Both branches
  are signed by the session's key, so at most one is what was shown, and which
  one cannot be told. The session is credited once, with the common prefix only
  (the first file given, cut after the last common entry); the rest of every
  branch is flagged (SESSION_FORK) and credited to nobody.

Telling these apart needs each file's entry hashes, which a verdict does not
hold; `entry_hashes` reads them again and keeps them only if they chain to the
verdict's head, so a file swapped after it was verified is never believed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .encoding import EncodingError, decode_body, entry_hash
from .load import load_path
from .verdict import Status, Verdict

HashesOf = Callable[[int], Sequence[bytes] | None]  # verdict index -> entry hashes, seq 0..n


def entry_hashes(path: str | Path, verdict: Verdict) -> list[bytes] | None:
    """The entry hashes of the file at `path`, seq 0..n, or None unless its rows
    are seq 0..n, each naming the hash of the one before, the last being the
    verdict's head: then they are the very entries the verdict judged."""
    head = verdict.summary.get("head")
    if verdict.status is Status.TAMPERED or not isinstance(head, dict):
        return None
    try:
        want = bytes.fromhex(head["hash"])
        image = load_path(Path(path))
    except (OSError, KeyError, TypeError, ValueError):
        return None
    out: list[bytes] = []
    for seq, body, sig in image.rows:
        if type(seq) is not int or seq != len(out):
            return None
        if not isinstance(body, bytes) or not isinstance(sig, bytes):
            return None
        try:
            decoded = decode_body(body)
        except EncodingError:
            return None
        if decoded.seq != seq or (out and decoded.prev != out[-1]):
            return None
        out.append(entry_hash(body, sig))
    if not out or len(out) - 1 != head.get("seq") or out[-1] != want:
        return None
    return out


@dataclass
class Credit:
    """`dropped`: file index -> the index credited in its place (a copy or a prefix,
    or the other branches of a fork). `cut`: a fork's credited file -> the last seq
    credited. `prefix_of` / `fork_at`: what the SESSION_* findings say."""

    dropped: dict[int, int] = field(default_factory=dict)
    cut: dict[int, int] = field(default_factory=dict)
    prefix_of: dict[int, int] = field(default_factory=dict)  # prefix -> longer file
    forks: list[tuple[list[int], int]] = field(default_factory=list)  # (branches, common)
    compared: bool = False  # entry hashes were read (report, who-viewed; not verify)


def copy_key(v: Verdict) -> tuple[str, int, str] | None:
    """What makes two files one session: its ledger id and its signed head (the
    hash chain's last entry names every entry before it). None when unknown, or
    when the file is TAMPERED: its head then vouches for nothing (an edited entry
    under the same head is a fork, and its findings must count, never be dropped
    as a copy's)."""
    if v.status is Status.TAMPERED:
        return None
    lid, head = v.summary.get("ledger"), v.summary.get("head")
    if not isinstance(lid, str) or not isinstance(head, dict):
        return None
    seq, digest = head.get("seq"), head.get("hash")
    if type(seq) is not int or not isinstance(digest, str):
        return None
    return lid, seq, digest


def _common(hashes: list[Sequence[bytes]]) -> int:
    """The last seq at which every list holds the same hash (-1: none). The chain
    makes agreement at seq k mean agreement at every seq before it."""
    lo, hi = -1, min(len(h) for h in hashes) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if all(h[mid] == hashes[0][mid] for h in hashes):
            lo = mid
        else:
            hi = mid - 1
    return lo


def credit(verdicts: Sequence[Verdict], hashes_of: HashesOf | None = None) -> Credit:
    """Who is credited, per ADR 0308. Byte copies (same head) are left to `copies`;
    without `hashes_of`, files with other heads are forks credited with nothing
    known in common (cut at -1: not even the session_start)."""
    groups: dict[str, dict[tuple[int, str], int]] = defaultdict(dict)
    for i, v in enumerate(verdicts):
        key = copy_key(v)
        if key is not None:
            groups[key[0]].setdefault((key[1], key[2]), i)  # first of each byte copy
    out = Credit(compared=hashes_of is not None)
    hashes: dict[int, Sequence[bytes] | None] = {}

    def of(i: int) -> Sequence[bytes] | None:  # read only for files that may cover
        if i not in hashes:
            hashes[i] = hashes_of(i) if hashes_of else None
        return hashes[i]

    for heads in groups.values():
        if len(heads) < 2:
            continue
        # Longest first: a file is a prefix of a longer one holding its head.
        members = sorted(heads.items(), key=lambda kv: (-kv[0][0], kv[1]))
        tops: list[int] = []
        for (seq, digest), i in members:
            covering = None
            for t in tops:
                h = of(t)
                if h is not None and len(h) > seq and h[seq].hex() == digest:
                    covering = t
                    break
            if covering is None:
                tops.append(i)
            else:
                out.dropped[i] = covering
                out.prefix_of[i] = covering
        if len(tops) > 1:
            tops.sort()
            known = [of(t) for t in tops]
            common = -1 if any(h is None for h in known) else _common(known)  # type: ignore[misc]
            out.cut[tops[0]] = common
            for t in tops[1:]:
                out.dropped[t] = tops[0]
            out.forks.append((tops, common))
    return out
