"""The snapshot's word pairs and triples as a Bloom filter: a cheap "cannot occur".

A window of a note (`verbatim.py`) starts and ends at whole words of the note,
but in the source its first word may be the tail of a longer word and its last
word the head of one. Every word strictly inside it, though, is a whole word of
any normalised text that holds it, and every two or three consecutive inner
words are consecutive words of that text. So when two or three consecutive
inner words are consecutive in no text blob of the snapshot, the window occurs
nowhere, and no index lookup or blob read is needed to say so (ADR 0403). A
window with fewer than two inner words is never ruled out here.

The filter holds every pair and every triple of consecutive words of every text
blob, normalised exactly as `normal.py` does it (the blob decoded as UTF-8 with
surrogateescape, invisible characters dropped, split as `str.split` splits,
encoded back). A Bloom
filter has no false negatives: a key that was added is always reported present.
A false positive only sends a window on to the index and exact confirmation,
which decide as before; so do hash collisions (a word's hash reads its length
and its first `HEAD` bytes), and the keys across two blobs a batch adds.

A window's first word may be the tail of a longer source word, but its last
`END` bytes are then that source word's last `END` bytes, and the word after it
is whole; so the filter also holds, for every consecutive pair of words, the
key of the first word's last `END` bytes with the second word (a *tail pair*)
and of the first word with the second word's first `END` bytes (a *head
pair*), and a window of at least three words whose first word has at least
`END` bytes is ruled out when its tail pair is missing, and likewise at its end
(ADR 0406). For a word of exactly `END` bytes those keys are its plain pair's.
Likewise for every three consecutive words it holds the first word's last `END`
bytes with the next two words (a *tail triple*) and the first two words with the
third word's first `END` bytes (a *head triple*), which judge a window of at least
four words, whose second and third (third-last and second-last) words are whole
(ADR 0407).

Built with numpy, a batch of blobs at a time, setting the bits themselves; kept
in the name table's cache file (`names.py`), under the same MAC and checks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .normal import normalise, plain

HEAD = 32  # bytes of a word that its hash reads (with its length)
END = 8  # bytes of a window's end word that its tail or head pair reads (ADR 0406)
PROBES = 6  # bits set per key, all in one block of BLOCK bits (one page touched)
BLOCK = 512
MIN_BITS = 1 << 16
MAX_BITS = 1 << 30  # 128 MiB stored; building holds one byte per bit (1 GiB)
BATCH = 1 << 20  # bytes of text hashed at once (its arrays stay small and warm)

_M64 = (1 << 64) - 1
_P = 0x100000001B3  # the polynomial's base (odd)
_LEN = 0x9E3779B97F4A7C15  # multiplies a word's length into its hash
_POW = [pow(_P, r + 1, 1 << 64) for r in range(HEAD)]
# the bytes `str.split` treats as whitespace, as ASCII: \t \n \v \f \r, \x1c-\x1f, space
_SPACE = bytes([9, 10, 11, 12, 13, 28, 29, 30, 31, 32])
_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(_SPACE)] = True
_POW_ARRAY = np.array([*_POW, 0], dtype=np.uint64)  # offset HEAD and beyond: not read
_POW_END = np.array([*_POW[:END], 0], dtype=np.uint64)  # offset END: not read


def _mix(x: int) -> int:
    """splitmix64's finaliser, on Python ints (as `_mix_array` on arrays)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _mix_array(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def word_hash(word: bytes) -> int:
    h = len(word) * _LEN
    for r, byte in enumerate(word[:HEAD]):
        h += (byte + 1) * _POW[r]
    return h & _M64


def pair_key(h1: int, h2: int) -> int:
    return _mix(_mix(h1) ^ h2)


def triple_key(h1: int, h2: int, h3: int) -> int:
    return _mix(pair_key(h1, h2) ^ h3)


def tail_key(w1: bytes, w2: bytes) -> int:
    """The key of `w1`'s last `END` bytes (all of it when shorter) followed by `w2`."""
    return pair_key(word_hash(w1[-END:]), word_hash(w2))


def head_key(w1: bytes, w2: bytes) -> int:
    """The key of `w1` followed by `w2`'s first `END` bytes (all of it when shorter)."""
    return pair_key(word_hash(w1), word_hash(w2[:END]))


def tail_triple_key(w1: bytes, w2: bytes, w3: bytes) -> int:
    """The key of `w1`'s last `END` bytes followed by `w2` and `w3` (ADR 0407)."""
    return triple_key(word_hash(w1[-END:]), word_hash(w2), word_hash(w3))


def head_triple_key(w1: bytes, w2: bytes, w3: bytes) -> int:
    """The key of `w1` and `w2` followed by `w3`'s first `END` bytes (ADR 0407)."""
    return triple_key(word_hash(w1), word_hash(w2), word_hash(w3[:END]))


def normal_bytes(content: bytes) -> bytes:
    """A blob's text as bytes whose ASCII whitespace separates exactly its words.
    ASCII text without controls is that already; other text is normalised
    (`normal.py`: invisible characters dropped too) and encoded back."""
    if plain(content):
        return content
    return normalise(content.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


def batch_keys(text: bytes) -> np.ndarray:
    """The key of every consecutive pair, then every consecutive triple, then every
    tail pair whose first word is longer than `END`, then every head pair whose
    second word is, then every tail triple whose first word is longer than `END`,
    then every head triple whose third word is, of words of `text` (bytes split
    at `_SPACE`), duplicates included. Pairs across two blobs of one batch are there
    too: extra keys cost false positives, never false negatives."""
    hashed = word_hashes(text)
    if hashed is None:
        return np.zeros(0, dtype=np.uint64)
    h, head, tail, lengths = hashed
    two = _mix_array(_mix_array(h[:-1]) ^ h[1:])
    three = _mix_array(two[:-1] ^ h[2:])
    long = lengths > END
    tail_two = _mix_array(_mix_array(tail[:-1]) ^ h[1:])
    tails = tail_two[long[:-1]]
    heads = _mix_array(_mix_array(h[:-1][long[1:]]) ^ head[1:][long[1:]])
    tail_three = _mix_array(tail_two[:-1][long[:-2]] ^ h[2:][long[:-2]])
    head_three = _mix_array(two[:-1][long[2:]] ^ head[2:][long[2:]])
    return np.concatenate((two, three, tails, heads, tail_three, head_three))


def word_hashes(text: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """For each word of `text` (bytes split at `_SPACE`), in order: its `word_hash`,
    that of its first `END` bytes, that of its last `END` bytes (all of it when
    shorter), and its length in bytes; None when it has no word."""
    a = np.frombuffer(text, dtype=np.uint8)
    solid = ~_IS_SPACE[a]
    edge = np.diff(solid.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edge == 1)
    if starts.size == 0:
        return None
    lengths = np.flatnonzero(edge == -1) - starts
    # each byte's offset in its word, then the polynomial summed per word (the
    # whole word's first HEAD bytes, its first END bytes, its last END bytes);
    # bytes of whitespace add nothing
    start_of = np.zeros(a.size, dtype=np.int32)
    start_of[starts] = starts
    np.maximum.accumulate(start_of, out=start_of)
    length_at = np.zeros(a.size, dtype=np.int32)
    length_at[starts] = lengths
    word_length = length_at[start_of]  # each byte's word's length
    del length_at
    offset = np.arange(a.size, dtype=np.int32)
    offset -= start_of
    del start_of
    value = a.astype(np.uint64) + np.uint64(1)
    value[~solid] = 0
    from_tail = offset - np.maximum(word_length - END, 0)  # offset in the last END bytes
    del word_length
    np.clip(from_tail, -1, END, out=from_tail)
    from_tail[from_tail < 0] = END  # before the last END bytes: not read
    near = np.minimum(offset, END)
    np.minimum(offset, HEAD, out=offset)
    h = _sum(value, _POW_ARRAY[offset], starts, lengths)
    head = _sum(value, _POW_END[near], starts, lengths, END)
    tail = _sum(value, _POW_END[from_tail], starts, lengths, END)
    return h, head, tail, lengths


def _sum(
    value: np.ndarray,
    powers: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    cap: int | None = None,
) -> np.ndarray:
    """`word_hash` of each word (of its first or last `cap` bytes, as `powers` picks
    them): `word_hash` reads the length of what it hashes."""
    h = np.add.reduceat(value * powers, starts)
    if cap is not None:
        lengths = np.minimum(lengths, cap)
    h += lengths.astype(np.uint64) * np.uint64(_LEN)
    return h


def _batches(contents: Iterator[bytes], tick: Callable[[], None] | None) -> Iterator[bytes]:
    """Texts of about `BATCH` bytes: small blobs joined by a line break, a large one
    in overlapping pieces (`pieces`)."""
    parts: list[bytes] = []
    held = 0
    for n, content in enumerate(contents, 1):
        text = normal_bytes(content)
        if len(text) > BATCH:
            yield from pieces(text)
            continue
        parts.append(text)
        held += len(text) + 1
        if held >= BATCH:
            yield b"\n".join(parts)
            parts, held = [], 0
        if tick is not None and n % 1000 == 0:
            tick()
    if parts:
        yield b"\n".join(parts)


def pieces(text: bytes, size: int = BATCH) -> Iterator[bytes]:
    """`text` in pieces of whole words, each of at least `size` bytes or three words
    (except the last), each starting at the second-last word of the one before: every
    two and three consecutive words of `text` are consecutive in one piece, so the
    pieces' keys are the text's. `batch_keys` holds some 80 bytes per byte of its
    text: Linux's largest headers (tens of MB) whole peaked at over a gigabyte."""
    a = np.frombuffer(text, dtype=np.uint8)
    edge = np.diff((~_IS_SPACE[a]).astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edge == 1)
    ends = np.flatnonzero(edge == -1)
    del a, edge
    first = 0
    while first < starts.size:
        last = int(np.searchsorted(ends, starts[first] + size))  # the word ending there
        last = max(last, first + 2)
        if last >= starts.size - 1:
            yield text[starts[first] :]
            return
        yield text[starts[first] : ends[last]]
        first = last - 1  # the second-last word of this piece


def size_for(text_bytes: int) -> int:
    """Bits for a snapshot of `text_bytes` bytes of text: about one per two bytes,
    a power of two within the bounds (Linux's 1.3 GB of text, with tail and head
    pairs, fill 45 % of the largest: under 1 % false positives per key, and a
    window has several keys)."""
    bits = MIN_BITS
    while bits < text_bytes // 2 and bits < MAX_BITS:
        bits *= 2
    return bits


def positions(keys: np.ndarray, bits: int) -> list[np.ndarray]:
    """The bit each probe of each key sets (as `PairFilter.__contains__`): a block
    chosen by the key's high 32 bits, then `PROBES` offsets of 9 bits each taken
    from the key mixed once more."""
    blocks = np.uint64(bits // BLOCK)
    base = ((keys >> np.uint64(32)) * blocks >> np.uint64(32)) * np.uint64(BLOCK)
    more = _mix_array(keys)
    return [base + ((more >> np.uint64(9 * i)) & np.uint64(BLOCK - 1)) for i in range(PROBES)]


def build(conn: sqlite3.Connection, tick: Callable[[], None] | None = None) -> PairFilter:
    """The filter of every text blob of the snapshot open on `conn`."""
    (total,) = conn.execute("SELECT total(size) FROM blobs WHERE binary = 0").fetchone()
    bits = size_for(int(total))
    # the bits themselves (128 MiB at most), set with `bitwise_or.at`: as fast as
    # plain stores into a byte per bit, which held 1 GiB while building (ADR 0407)
    packed = np.zeros(bits // 8, dtype=np.uint8)
    rows = conn.execute("SELECT content FROM blobs WHERE binary = 0 ORDER BY rowid")
    for text in _batches((bytes(r[0]) for r in rows), tick):
        set_bits(packed, batch_keys(text))
    return PairFilter(packed.tobytes())


def set_bits(packed: np.ndarray, keys: np.ndarray) -> None:
    """Set every probe's bit of every key in `packed` (little-endian within each byte,
    as `PairFilter` reads them)."""
    seven = np.uint64(7)
    for pos in positions(keys, packed.size * 8):
        mask = np.left_shift(np.uint8(1), (pos & seven).astype(np.uint8))
        np.bitwise_or.at(packed, (pos >> np.uint64(3)).astype(np.intp), mask)


_WORDS_KEPT = 1 << 20  # word hashes remembered for the run (notes repeat their words)


@dataclass(frozen=True)
class Gaps:
    """Prefix counts of the pairs and triples of a note's words that no text holds:
    `pairs[p]` counts the missing pairs (q, q+1) for q < p, `triples[p]` the
    missing triples (q, q+1, q+2) for q < p; and per position q whether the
    tail pair (q, q+1) is missing (`tails[q]`, only when word q has at least `END`
    bytes) and the head pair (q, q+1) (`heads[q]`, word q+1 at least `END` bytes),
    and the tail triple (q, q+1, q+2) (`tail_triples[q]`, word q at least `END`
    bytes) and the head triple (q, q+1, q+2) (`head_triples[q]`, word q+2).
    Arrays: a note's windows are judged all at once (`may_hold_all`)."""

    pairs: np.ndarray
    triples: np.ndarray
    tails: np.ndarray
    heads: np.ndarray
    tail_triples: np.ndarray
    head_triples: np.ndarray

    def may_hold(self, first: int, last: int) -> bool:
        """`PairFilter.may_hold` of the window of words `first`..`last` (inclusive):
        False only if a pair or triple of its inner words (first+1 .. last-1) is in
        no text blob, or, for a window of three words or more, the tail pair of its
        first two words or the head pair of its last two, or, for four words or
        more, the tail triple of its first three or the head triple of its last three."""
        one = self.may_hold_all(np.array([first]), np.array([last]))
        return bool(one[0])

    def may_hold_all(self, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """`may_hold` of each window `first[k]`..`last[k]` (`first[k] <= last[k]`, both
        words of the note), at once. Indices a shorter window does not read are
        clipped, and what they give is never used (every array has a value: a
        note with a window has a word)."""

        def at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
            return values.take(index, mode="clip")

        span = last - first
        ends = at(self.tails, first) | at(self.heads, last - 1)
        ends |= (span >= 3) & (at(self.tail_triples, first) | at(self.head_triples, last - 2))
        # inner words first+1 .. last-1: pairs from first+1 to last-2, triples to last-3
        inner = at(self.pairs, last - 1) != at(self.pairs, first + 1)
        inner |= (span >= 4) & (at(self.triples, last - 2) != at(self.triples, first + 1))
        ruled_out = (span >= 2) & (ends | ((span >= 3) & inner))
        return ~ruled_out


class _Word(NamedTuple):
    """A note's word as the filter hashes it: whole, its last and first `END` bytes,
    and whether it has at least `END` bytes (a tuple: a note's words become one
    array at once)."""

    whole: int
    tail: int
    head: int
    long: bool


_UNJUDGED = _Word(0, 0, 0, False)


class PairFilter:
    """Membership of word pairs and triples: `PROBES` bits per key in a bit array (little-endian
    within each byte) whose size is a power of two in [MIN_BITS, MAX_BITS]."""

    def __init__(self, bits: bytes) -> None:
        size = len(bits) * 8
        if not MIN_BITS <= size <= MAX_BITS or size & (size - 1):
            raise ValueError("a word-pair filter of impossible size")
        self.bits = bits
        self._blocks = size // BLOCK
        self._hashes: dict[str, _Word | None] = {}

    def __contains__(self, key: int) -> bool:
        base = ((key >> 32) * self._blocks >> 32) * BLOCK
        more, bits = _mix(key), self.bits
        for i in range(PROBES):
            pos = base + (more >> (9 * i) & (BLOCK - 1))
            if not bits[pos >> 3] >> (pos & 7) & 1:
                return False
        return True

    def _has(self, keys: np.ndarray) -> np.ndarray:
        """`key in self` for each key of `keys`, at once."""
        data = np.frombuffer(self.bits, dtype=np.uint8)
        found = np.ones(keys.size, dtype=bool)
        for pos in positions(keys, len(self.bits) * 8):
            found &= (data[pos >> np.uint64(3)] >> (pos & np.uint64(7)).astype(np.uint8)) & 1 == 1
        return found

    def _hash_all(
        self, words: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`_hash` of each word as arrays: whole, tail, head, long and unjudged (a
        word `_hash` gives None for, whose other entries say nothing). Words that all
        encode are hashed at once (`word_hashes`, as the build hashes them): one
        numpy pass instead of a Python call and a dictionary per word."""
        try:
            text = " ".join(words).encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            text = None  # a character no decoded blob holds: word by word
        hashed = None
        if text is not None and words:
            spaces = np.count_nonzero(_IS_SPACE[np.frombuffer(text, dtype=np.uint8)])
            # only the joining spaces, and as many words: each word is one of the text's
            if spaces == len(words) - 1:
                hashed = word_hashes(text)
        if hashed is not None and hashed[0].size == len(words):
            h, head, tail, lengths = hashed
            long = lengths >= END
            return h, tail, head, long, np.zeros(len(words), dtype=bool)
        one = [self._hash(w) for w in words]
        unjudged = np.array([x is None for x in one], dtype=bool)
        table = np.array([_UNJUDGED if x is None else x for x in one], dtype=np.uint64)
        table = table.reshape(len(words), 4)  # no words: no rows, still four columns
        return table[:, 0], table[:, 1], table[:, 2], table[:, 3] == 1, unjudged

    def _hash(self, word: str) -> _Word | None:
        h = self._hashes.get(word, False)
        if h is False:
            try:
                raw = word.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                h = None  # a character no decoded blob holds: never judged
            else:
                whole = word_hash(raw)
                long = len(raw) >= END
                tail = word_hash(raw[-END:]) if long else whole
                head = word_hash(raw[:END]) if long else whole
                h = _Word(whole, tail, head, long)
            if len(self._hashes) < _WORDS_KEPT:
                self._hashes[word] = h
        return h

    def gaps(self, words: Sequence[str]) -> Gaps:
        """What `may_hold` says of every window of `words` (a note's whole words, in
        order), answered for all of them at once: see `Gaps.may_hold`."""
        n = len(words)
        h, tail, head, long, unjudged = self._hash_all(words)
        missing_pairs = np.zeros(max(n - 1, 0), dtype=bool)
        missing_triples = np.zeros(max(n - 2, 0), dtype=bool)
        missing_tails = np.zeros(n, dtype=bool)
        missing_heads = np.zeros(n, dtype=bool)
        missing_tail_triples = np.zeros(n, dtype=bool)
        missing_head_triples = np.zeros(n, dtype=bool)
        if n >= 2:
            mixed = _mix_array(h[:-1])
            two = _mix_array(mixed ^ h[1:])
            tails = _mix_array(_mix_array(tail[:-1]) ^ h[1:])
            heads = _mix_array(mixed ^ head[1:])
            # the triples, plain, tail and head: all empty when n == 2
            three = _mix_array(two[:-1] ^ h[2:])
            tail_three = _mix_array(tails[:-1] ^ h[2:])
            head_three = _mix_array(two[:-1] ^ head[2:])
            # one probe of the filter for all six kinds of key
            found = self._has(np.concatenate((two, tails, heads, three, tail_three, head_three)))
            m, t = n - 1, n - 2
            judged = ~unjudged[:-1] & ~unjudged[1:]
            missing_pairs = ~found[:m] & judged
            missing_tails[:-1] = ~found[m : 2 * m] & judged & long[:-1]
            missing_heads[:-1] = ~found[2 * m : 3 * m] & judged & long[1:]
            ok = judged[:-1] & ~unjudged[2:]
            at = 3 * m
            missing_triples = ~found[at : at + t] & ok
            missing_tail_triples[:-2] = ~found[at + t : at + 2 * t] & ok & long[:-2]
            missing_head_triples[:-2] = ~found[at + 2 * t :] & ok & long[2:]
        return Gaps(
            np.concatenate(([0], np.cumsum(missing_pairs))),
            np.concatenate(([0], np.cumsum(missing_triples))),
            missing_tails,
            missing_heads,
            missing_tail_triples,
            missing_head_triples,
        )

    def may_hold(self, window_words: Sequence[str]) -> bool:
        """False only if no normalised text of the snapshot can hold the window made
        of `window_words` (a note's whole words, first to last): some two or three
        consecutive words strictly inside it are consecutive in no text blob, or
        the window has three words or more and the last `END` bytes of its first
        word followed by its second word (its second-last word followed by the
        first `END` bytes of its last) are in none, or four words or more and the
        last `END` bytes of its first word followed by its second and third words
        (its third-last and second-last words followed by the first `END` bytes of
        its last) are in none."""
        if len(window_words) < 3:
            return True
        # a word with a character no decoded blob holds (a lone surrogate) judges no
        # pair or triple it is part of: confirmation decides those
        first, second = (self._hash(w) for w in window_words[:2])
        tail = first is not None and second is not None and first.long
        if tail and pair_key(first.tail, second.whole) not in self:
            return False
        before, last = (self._hash(w) for w in window_words[-2:])
        head = before is not None and last is not None and last.long
        if head and pair_key(before.whole, last.head) not in self:
            return False
        if len(window_words) >= 4:
            # the tail triple of the first three words, the head triple of the last three
            third = self._hash(window_words[2])
            if (
                tail
                and third is not None
                and triple_key(first.tail, second.whole, third.whole) not in self
            ):
                return False
            third_last = self._hash(window_words[-3])
            if (
                head
                and third_last is not None
                and triple_key(third_last.whole, before.whole, last.head) not in self
            ):
                return False
        inner = window_words[1:-1]
        if len(inner) < 2:
            return True
        hashes = [None if x is None else x.whole for x in map(self._hash, inner)]
        for a, b in zip(hashes, hashes[1:], strict=False):
            if a is not None and b is not None and pair_key(a, b) not in self:
                return False
        for a, b, c in zip(hashes, hashes[1:], hashes[2:], strict=False):
            if (
                a is not None
                and b is not None
                and c is not None
                and triple_key(a, b, c) not in self
            ):
                return False
        return True
