"""Snapshots of small generated trees, and a brute-force reference search to check
the real one against: every file, every line, Python's `re` or `bytes.find`,
no index. It implements the documented semantics independently of
cleanroom.snapshot.search (docs/snapshot-format.md, "Search results and their
digest")."""

from __future__ import annotations

import fnmatch
import os
import re
import struct
from hashlib import sha256
from pathlib import Path

from cleanroom.ledger.encoding import canonical_json
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.query import Query
from tests.snapshotkit import CREATED, VENDOR

MAX_SPANS = 100

Result = tuple[bytes, int, tuple[tuple[int, int], ...], bool]  # path, line, spans, more


def build(
    directory: Path, files: dict[bytes, bytes], name: str = "t", presence: bool = True
) -> Path:
    """A snapshot of a tree holding exactly `files` (path bytes -> content); without
    `presence`, in the format before the byte presence table."""
    src = directory / f"{name}-src"
    src.mkdir()
    for rel, data in files.items():
        target = os.path.join(os.fsencode(src), rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    out = directory / f"{name}.snapshot"
    create_snapshot(src, out, VENDOR, name, "1.0", created=CREATED, presence=presence)
    return out


def lines_of(content: bytes) -> list[bytes]:
    if not content:
        return []
    lines = content.split(b"\n")
    return lines[:-1] if content.endswith(b"\n") else lines


def reference(files: dict[bytes, bytes], query: Query, displays: dict[bytes, str]) -> list[Result]:
    out: list[Result] = []
    for path in sorted(files):
        content = files[path]
        if b"\x00" in content[:8192]:
            continue
        if not globs_select(displays[path], query.include, query.exclude):
            continue
        for number, line in enumerate(lines_of(content)):
            spans = regex_spans(line, query) if query.regex else literal_spans(line, query)
            if spans:
                out.append((path, number, tuple(spans[:MAX_SPANS]), len(spans) > MAX_SPANS))
    return out


def literal_spans(line: bytes, query: Query) -> list[tuple[int, int]]:
    needle = query.text.encode()
    hay = line if query.case else line.lower()
    needle = needle if query.case else needle.lower()
    spans, p = [], 0
    while (i := hay.find(needle, p)) >= 0:
        spans.append((i, i + len(needle)))
        p = i + len(needle)
    return spans


def regex_spans(line: bytes, query: Query) -> list[tuple[int, int]]:
    """Python's re over the decoded line (valid UTF-8 only), ASCII semantics; after an
    empty match the next search starts one character later."""
    text = line.decode("utf-8")
    flags = re.ASCII | (0 if query.case else re.IGNORECASE)
    rx = re.compile(query.text, flags) if text else _over_empty(query.text, flags)
    spans, p = [], 0
    while p <= len(text) and (m := rx.search(text, p)) is not None:
        a, b = m.span()
        spans.append((len(text[:a].encode()), len(text[:b].encode())))
        p = b if b > a else a + 1
    return spans


def _over_empty(pattern: str, flags: int) -> re.Pattern[str]:
    """`pattern` as it must behave over an empty line. Python's `re` before 3.14
    never lets `\\B` match the empty string, although no word character is next to
    its one position, so it is not a word boundary (RE2, and Python 3.14, match it
    there: `\\B` over an empty line is a hit at 0:0). Over an empty string the one
    position is also its start, so `\\B` becomes `\\A` in the parsed pattern."""
    parsed = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]

    def walk(node: object) -> None:
        if isinstance(node, re._parser.SubPattern):  # type: ignore[attr-defined]
            for i, (op, av) in enumerate(node.data):
                if op is re._constants.AT and av is re._constants.AT_NON_BOUNDARY:  # type: ignore[attr-defined]
                    node.data[i] = (op, re._constants.AT_BEGINNING_STRING)  # type: ignore[attr-defined]
                else:
                    walk(av)
        elif isinstance(node, tuple | list):
            for item in node:
                walk(item)

    walk(parsed)
    return re._compiler.compile(parsed, flags)  # type: ignore[attr-defined]


def globs_select(display: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    if include and not any(glob_matches(g, display) for g in include):
        return False
    return not any(glob_matches(g, display) for g in exclude)


def glob_matches(glob: str, path: str) -> bool:
    """gitignore-like, by components (no backslash escapes in the tests' globs)."""
    dir_only = glob.endswith("/")
    body = glob.rstrip("/")
    anchored = "/" in body
    pattern = body.lstrip("/").split("/")
    parts = path.split("/")
    # the path itself (unless dir_only) and each of its directories
    candidates = [parts[:k] for k in range(1, len(parts) + (0 if dir_only else 1))]
    for cand in candidates:
        if anchored and _match_parts(pattern, cand):
            return True
        if not anchored and (pattern == ["**"] or _fn(pattern[0], cand[-1])):
            return True
    return False


def _match_parts(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        if len(pattern) == 1:
            return len(parts) >= 1
        return any(_match_parts(pattern[1:], parts[k:]) for k in range(len(parts) + 1))
    return bool(parts) and _fn(pattern[0], parts[0]) and _match_parts(pattern[1:], parts[1:])


def _fn(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern.replace("[^", "[!"))


def digest_of(query: Query, results: list[Result]) -> str:
    """The result digest, computed from the specification's text."""
    head = canonical_json(
        {"format": "cleanroom.search.v1", "query": query.to_json(), "limits": {"spans": MAX_SPANS}}
    )
    h = sha256(b"cleanroom:search:v1\x00" + struct.pack(">I", len(head)) + head)
    for path, line, spans, more in results:
        h.update(b"H" + struct.pack(">I", len(path)) + path + struct.pack(">II", line, len(spans)))
        for s, e in spans:
            h.update(struct.pack(">II", s, e))
        h.update(b"\x01" if more else b"\x00")
    h.update(b"E" + struct.pack(">Q", len(results)))
    return h.hexdigest()
