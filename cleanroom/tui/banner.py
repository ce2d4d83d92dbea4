"""The one-line banner above the code: the file's name and line count, or a
warning that the sanitizer tagged hidden or control characters in it. Shared by
the reviewer terminal and replay, so both say the same of the same file."""

from __future__ import annotations

from rich.text import Text

from ..sanitize import clean, decode


def banner_text(path: bytes, lines: int, flags: dict[str, int]) -> Text:
    name = clean(decode(path))
    if not flags:
        return Text(f" {name}  ({lines} lines)")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(flags.items()))
    text = Text(f" {name}: hidden or control characters shown as ⟨tags⟩ ({kinds}).", "bold")
    text.append("  f: next flagged line", "italic")
    return text
