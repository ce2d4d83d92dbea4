"""A snapshot's text as the verbatim check reads it.

`SnapshotText` answers three questions, each cached for the whole check:

- `docs_with(word)`: the text blobs whose content holds `word`, from the
  snapshot's trigram index (docs/adr/0100-snapshot-index.md). The index folds
  case, so the answer is a superset of the blobs that hold `word` exactly; blobs
  whose index stops early (a NUL byte past the first 8 KiB, `candidates.py`) are
  always in it. None when the index cannot answer (under three characters, or a
  control character the tokenizer may not see as the note does, or a byte that
  is not UTF-8, which no query can carry), and
  `COMMON` when more than `COMMON_BLOBS` blobs hold it: such a word narrows
  nothing, and reading all of its blobs' numbers costs more than it saves.
- `holds(rowid, window)`: whether the blob's normalised text holds a window, in
  its raw bytes when they are all ASCII and none a control byte normalising drops
  (`normal.plain`, `rawmatch.py`), the candidates' bytes
  kept between windows.
- `text(rowid)`: the blob's whitespace-normalised text, for exact matching, and
  the line of any offset in it.
- `paths(rowid)`: every path whose content is that blob.
- `names`: the snapshot's name table (`names.py`), from the cache directory when
  one is given and holds it, else counted now (and stored there); None when
  the check runs without it (`names=False`: the index alone, as before ADR 0402;
  without the table's list of spliced blobs, a quote of one may be missed, ADR 0410).
- `pairs`: the filter of its consecutive word pairs (`pairs.py`, ADR 0403), kept
  and cached with the name table, and None exactly when it is.

Binary blobs are not indexed and never read: the check covers text only.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..snapshot.candidates import read_facts
from ..snapshot.catalog import read_catalog
from ..snapshot.readonly import connect
from ..snapshot.store import Snapshot
from .names import COMMON_BLOBS, NameTable, count_here, count_names, open_cached, write_cache
from .normal import normalise, plain, strip
from .pairs import PairFilter
from .pairs import build as build_pairs
from .rawmatch import RawWindow

# control characters, and the surrogates that stand for bytes that are not UTF-8
# (surrogateescape), which no query can carry
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
COMMON: frozenset[int] = frozenset({-1})  # the answer for a word in too many blobs
_TEXT_CACHE = 256 << 20  # bytes of normalised blob text kept between notes
_RAW_CACHE = 64 << 20  # bytes of candidate blobs kept between windows


@dataclass
class BlobText:
    """One blob's text, decoded (`raw`); its normalised text and line numbers are
    computed on first use (rare names read only `raw`: normalising the blobs they
    name was a tenth of their cost, issue 16)."""

    raw: str = field(repr=False)
    _text: str | None = None
    _stripped: str | None = None
    _starts: list[int] | None = None
    _lines: list[int] | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = normalise(self.raw)
        return self._text

    @property
    def stripped(self) -> str:
        """The decoded text with invisible characters dropped (`normal.strip`), its
        lines kept: where rare names are found, as the name table counted them (most
        often `raw` itself, which it then costs no memory to keep)."""
        if self._stripped is None:
            self._stripped = strip(self.raw)
        return self._stripped

    def line_at(self, offset: int) -> int:
        """The 1-based source line holding normalised offset `offset`."""
        if self._starts is None:
            starts, lines, pos = [], [], 0
            for number, line in enumerate(self.raw.split("\n"), 1):
                normal = normalise(line)
                if normal:
                    starts.append(pos)
                    lines.append(number)
                    pos += len(normal) + 1
            self._starts, self._lines = starts, lines
        assert self._lines is not None
        return self._lines[max(0, bisect.bisect_right(self._starts, offset) - 1)]


class SnapshotText:
    """The text of an open, trusted snapshot. `close()` when done."""

    def __init__(
        self,
        snapshot: Snapshot,
        names: bool = True,
        cache_dir: Path | None = None,
        counting: Callable[[], None] | None = None,
    ) -> None:
        """`counting` is called every 1,000 blobs while the name table is counted."""
        if snapshot.path is None:
            raise ValueError("the snapshot was not opened from a file")
        self._conn = connect(snapshot.path, mmap=True)
        self.catalog = read_catalog(self._conn)
        self.names: NameTable | None = None
        self.pairs: PairFilter | None = None
        self.names_cached = False  # the table came from the cache directory
        if names:
            root = bytes.fromhex(snapshot.manifest.root)
            self.names, self.pairs = self._name_table(snapshot.path, root, cache_dir, counting)
        # the blobs the index always names (read on the first index lookup: with the
        # word-pair filter and name table most checks make few or none, ADR 0407)
        self._truncated: frozenset[int] | None = None
        self._spliced_words: dict[int, frozenset[str]] = {}
        self._docs: dict[str, frozenset[int] | None] = {}
        self._texts: OrderedDict[int, BlobText] = OrderedDict()
        # verbatim.py's answer per window, for the whole check
        self.windows: dict[str, tuple[list[int] | None, bool]] = {}
        self._held = 0
        self._raws: OrderedDict[int, tuple[bytes, bool]] = OrderedDict()
        self._raw_held = 0
        self.queries = 0  # index lookups made (for the benchmark)
        self.reads = 0  # blobs read and decoded
        self.scans = 0  # candidate blobs read to confirm a window (rawmatch.py)
        self.ruled_out = 0  # windows the word-pair filter ruled out (verbatim.py)

    def _name_table(
        self,
        path: Path,
        root: bytes,
        cache_dir: Path | None,
        counting: Callable[[], None] | None,
    ) -> tuple[NameTable, PairFilter]:
        if cache_dir is not None:
            cached = open_cached(cache_dir, root)
            if cached is not None:
                self.names_cached = True
                return cached
        # every text blob is read once, through SQLite's small page cache: mapped,
        # the whole snapshot would stay in this process's memory (cold peak RSS)
        scan = connect(path)
        try:
            pairs = build_pairs(scan, counting)

            def fill(into: sqlite3.Connection) -> None:
                count_names(scan, lambda r: len(self.paths(r)), into, counting)

            if cache_dir is not None and write_cache(cache_dir, root, fill, pairs):
                written = open_cached(cache_dir, root)
                if written is not None:
                    return written
            # no cache, or it could not be written or read back: counted again, on
            # disk in a temporary database nothing keeps (ADR 0408)
            return count_here(fill), pairs
        finally:
            scan.close()

    def close(self) -> None:
        if self.names is not None:
            self.names.close()
        self._conn.close()

    def docs_with(self, word: str) -> frozenset[int] | None:
        if word in self._docs:
            return self._docs[word]
        found: frozenset[int] | None = None
        if len(word) >= 3 and not _CONTROL.search(word):
            self.queries += 1
            phrase = '"' + word.replace('"', '""') + '"'
            rows = self._conn.execute(
                "SELECT rowid FROM search WHERE search MATCH ? LIMIT ?", (phrase, COMMON_BLOBS + 1)
            ).fetchall()
            if len(rows) > COMMON_BLOBS:
                found = COMMON
            else:
                found = frozenset(r[0] for r in rows) | self._always()
        self._docs[word] = found
        return found

    def _always(self) -> frozenset[int]:
        """Blobs whose index stops early (`candidates.py`): in every answer."""
        if self._truncated is None:
            self._truncated = frozenset(read_facts(self._conn, self.catalog).truncated)
        return self._truncated

    def _spliced(self) -> frozenset[int]:
        return frozenset() if self.names is None else self.names.spliced()

    def spliced_candidates(self, window: str) -> list[int]:
        """The spliced blobs (`names.spliced`, ADR 0410) that may hold `window`, which
        the index, reading raw text, may not name: those whose normalised text has
        every word strictly inside the window as a whole word. Few (12 of Linux's
        78,206 text blobs), so each one's words are kept for the whole check."""
        spliced = self._spliced()
        if not spliced:
            return []
        inner = window.split(" ")[1:-1]
        out = []
        for rowid in sorted(spliced):
            held = self._spliced_words.get(rowid)
            if held is None:
                held = self._spliced_words[rowid] = frozenset(self.text(rowid).text.split(" "))
            if all(w in held for w in inner):
                out.append(rowid)
        return out

    def text(self, rowid: int, content: bytes | None = None) -> BlobText:
        """The blob's normalised text; `content` is its bytes when already read."""
        held = self._texts.get(rowid)
        if held is not None:
            self._texts.move_to_end(rowid)
            return held
        if content is None:
            content = self._content(rowid)
        raw = content.decode("utf-8", "surrogateescape")
        self.reads += 1
        blob = BlobText(raw)
        self._texts[rowid] = blob
        self._held += len(raw)
        while self._held > _TEXT_CACHE and len(self._texts) > 1:
            _, old = self._texts.popitem(last=False)
            self._held -= len(old.raw)
        return blob

    def _content(self, rowid: int) -> bytes:
        row = self._conn.execute("SELECT content FROM blobs WHERE rowid = ?", (rowid,)).fetchone()
        return bytes(row[0]) if row else b""

    def _candidate(self, rowid: int) -> tuple[bytes, bool]:
        """A candidate's bytes and whether all are ASCII, kept while `_RAW_CACHE`
        allows: a note's windows around one name share their candidates (four
        windows a blob on the bench notes)."""
        held = self._raws.get(rowid)
        if held is not None:
            self._raws.move_to_end(rowid)
            return held
        content = self._content(rowid)
        self.scans += 1
        held = self._raws[rowid] = (content, plain(content))
        self._raw_held += len(content)
        while self._raw_held > _RAW_CACHE and len(self._raws) > 1:
            _, (old, _ascii) = self._raws.popitem(last=False)
            self._raw_held -= len(old)
        return held

    def holds(self, rowid: int, window: RawWindow) -> bool:
        """Whether the blob's normalised text holds `window`. An ASCII blob without
        controls (`normal.plain`) is matched in its raw bytes (`rawmatch.py`, ADR
        0405), never decoded or normalised; any other is decoded and normalised (and
        kept), unless its raw bytes lack the window's probe (its longest word): then
        its normalised text cannot hold the window either (surrogateescape maps the
        decoded text to the bytes character by character, and normalising joins no
        two characters of a blob that is not `spliced`, ADR 0410)."""
        held = self._texts.get(rowid)
        if held is not None:
            self._texts.move_to_end(rowid)
            return window.window in held.text
        content, ascii_only = self._candidate(rowid)
        if ascii_only:
            return window.in_ascii(content)
        probe = window.probe
        if probe is not None and probe not in content and rowid not in self._spliced():
            return False
        return window.window in self.text(rowid, content).text

    def smallest(self, rowids: list[int], count: int) -> list[int]:
        return smallest(self.catalog.sizes, rowids, count)

    def size(self, rowid: int) -> int:
        """The blob's size as the signed file list gives it (-1 if no file names it)."""
        sizes = self.catalog.sizes
        return sizes[rowid] if 0 <= rowid < len(sizes) else -1

    def paths(self, rowid: int) -> list[bytes]:
        c = self.catalog
        first = c.first.get(rowid)
        if first is None:
            return []
        return [c.paths[i] for i in (first, *c.more.get(rowid, ()))]


def smallest(sizes: Sequence[int], rowids: list[int], count: int) -> list[int]:
    """The `count` rowids of the smallest blobs, ascending by rowid: as a stable sort by
    size (ties to the lower rowid; a rowid no file names has size -1) keeps them, with
    the sizes looked up in C (a Python key was a tenth of the check on the bench)."""
    if rowids and min(rowids) >= 0 and max(rowids) < len(sizes):
        return sorted(sorted(rowids, key=sizes.__getitem__)[:count])
    return sorted(sorted(rowids, key=lambda r: sizes[r] if 0 <= r < len(sizes) else -1)[:count])
