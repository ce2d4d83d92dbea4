"""The one-line banner above the code: the file's name and line count, or a
warning that the sanitizer tagged hidden or control characters in it. Shared by
the reviewer terminal and replay, so both say the same of the same file."""

from __future__ import annotations

from rich.text import Text

from ..sanitize import clean, decode

REVIEW_HINT = "f: next flagged line"  # the reviewer terminal's key for it


def banner_text(
    path: bytes, lines: int, flags: dict[str, int], hint: str | None = REVIEW_HINT
) -> Text:
    """The banner; `hint` names a key of the app showing it (replay has its own)."""
    name = clean(decode(path))
    if not flags:
        return Text(f" {name}  ({lines} lines)")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(flags.items()))
    text = Text(f" {name}: hidden or control characters shown as ⟨tags⟩ ({kinds}).", "bold")
    if hint:
        text.append(f"  {hint}", "italic")
    return text
