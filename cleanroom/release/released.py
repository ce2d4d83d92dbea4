"""The notes a valid release lets leave: released and redacted, never withheld."""

from __future__ import annotations

from typing import Any


def leaving(release: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in release["notes"] if n["decision"] in ("release", "redact")]


def location(note: dict[str, Any]) -> str:
    """`path:first-last`, or the path alone for a note on the whole file."""
    if note["first"] == 0:
        return note["path"]
    if note["first"] == note["last"]:
        return f"{note['path']}:{note['first']}"
    return f"{note['path']}:{note['first']}-{note['last']}"
