"""The verbatim check as docs/notes-release.md §1 says it, by brute force: every
window of a note against the normalised text of every text file, every name
counted in every text file. No index, no name table, no caps: what the fast check
must answer on a corpus small enough that no bound is reached."""

from __future__ import annotations

import re
import unicodedata

from cleanroom.notecheck.rare import code_names
from cleanroom.snapshot.store import Snapshot

# Default_Ignorable_Code_Point as DerivedCoreProperties.txt lists it (Unicode 15.1),
# written out here rather than taken from the check's own table
DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
BLANKS = "\u115f\u1160\u2800\u3164\uffa0"  # drawn as blanks: spaces (ADR 0410)


def _dropped(ch: str) -> bool:
    if ch in BLANKS or ch.isspace():
        return False
    c = ord(ch)
    if unicodedata.category(ch) in ("Cf", "Cc"):
        return True
    return any(a <= c <= b for a, b in DEFAULT_IGNORABLE)


def strip(text: str) -> str:
    """§1's first two rules, character by character: invisible characters dropped,
    blanks made spaces."""
    return "".join(" " if ch in BLANKS else ch for ch in text if not _dropped(ch))


def normalise(text: str) -> str:
    return " ".join(strip(text).split())


def text_files(snap: Snapshot) -> list[tuple[bytes, str]]:
    """(path, content decoded as the check decodes it) of every text file."""
    out = []
    for path, blob, _lines, binary, _size in snap.file_lines():
        if binary:
            continue
        size = snap.blob(blob).size
        out.append((path, snap.read(blob, 0, size).decode("utf-8", "surrogateescape")))
    return out


def _line_of_nonspace(raw: str, index: int) -> int:
    """The 1-based line of the `index`-th (0-based) non-whitespace character."""
    seen = -1
    for at, ch in enumerate(raw):
        if not ch.isspace():
            seen += 1
            if seen == index:
                return raw.count("\n", 0, at) + 1
    raise AssertionError("no such character")


def _places(run: str, files: list[tuple[bytes, str]]) -> list[tuple[bytes, int]]:
    places = []
    for path, raw in files:
        raw = strip(raw)  # its lines are the file's lines
        normal = " ".join(raw.split())
        at = normal.find(run)
        while at >= 0:
            nonspace = sum(1 for ch in normal[:at] if ch != " ")
            places.append((path, _line_of_nonspace(raw, nonspace)))
            at = normal.find(run, at + 1)
    return sorted(places)


def runs(text: str, files: list[tuple[bytes, str]], min_length: int) -> list[tuple[str, list]]:
    """(run, sorted places) of every run §1 reports for one field."""
    normals = [normalise(raw) for _, raw in files]
    normal = normalise(text)
    spans = [m.span() for m in re.finditer(r"\S+", normal)]
    found, reach = [], 0
    for i, (start, _) in enumerate(spans):
        j = i
        while j < len(spans) and spans[j][1] - start < min_length:
            j += 1
        if j == len(spans):
            break
        if not any(normal[start : spans[j][1]] in n for n in normals):
            continue
        k = j
        while k + 1 < len(spans) and any(normal[start : spans[k + 1][1]] in n for n in normals):
            k += 1
        if spans[k][1] <= reach:
            continue
        reach = spans[k][1]
        run = normal[start:reach]
        found.append((run, _places(run, files)))
    return found


def rare(text: str, files: list[tuple[bytes, str]], at_most: int = 2) -> dict[str, list]:
    """name → sorted places, for the names of `text` in the snapshot once or twice."""
    out = {}
    files = [(path, strip(raw)) for path, raw in files]
    for name in code_names(strip(text)):
        whole = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")
        places = sorted(
            (path, raw.count("\n", 0, m.start()) + 1)
            for path, raw in files
            for m in whole.finditer(raw)
        )
        if 0 < len(places) <= at_most:
            out[name] = places
    return out
