"""The verbatim check as docs/notes-release.md §1 says it, by brute force: every
window of a note against the normalised text of every text file, every name
counted in every text file. No index, no name table, no caps: what the fast check
must answer on a corpus small enough that no bound is reached."""

from __future__ import annotations

import re

from cleanroom.notecheck.rare import code_names
from cleanroom.snapshot.store import Snapshot


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
        normal = " ".join(raw.split())
        at = normal.find(run)
        while at >= 0:
            nonspace = sum(1 for ch in normal[:at] if ch != " ")
            places.append((path, _line_of_nonspace(raw, nonspace)))
            at = normal.find(run, at + 1)
    return sorted(places)


def runs(text: str, files: list[tuple[bytes, str]], min_length: int) -> list[tuple[str, list]]:
    """(run, sorted places) of every run §1 reports for one field."""
    normals = [" ".join(raw.split()) for _, raw in files]
    normal = " ".join(text.split())
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
    for name in code_names(text):
        whole = re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")
        places = sorted(
            (path, raw.count("\n", 0, m.start()) + 1)
            for path, raw in files
            for m in whole.finditer(raw)
        )
        if 0 < len(places) <= at_most:
            out[name] = places
    return out
