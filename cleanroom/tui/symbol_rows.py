"""How a symbol is drawn in a list (outline, definitions, replay): its line, its
kind and name, and where it is; every part from the signed index, untrusted,
sanitized here."""

from __future__ import annotations

from rich.text import Text

from ..sanitize import clean, decode


def symbol_prompt(symbol: object, with_path: bool = True) -> Text:
    """`path:line  kind  name` (or `line  kind  name` in one file's outline)."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    line = symbol.line + 1  # type: ignore[attr-defined]
    if with_path:
        text.append(f"{clean(decode(symbol.path))}:{line}", "bold")  # type: ignore[attr-defined]
    else:
        text.append(f"{line:>7}", "bold")
    text.append(f"  {clean(symbol.kind):<10} ")  # type: ignore[attr-defined]
    text.append(clean(symbol.name))  # type: ignore[attr-defined]
    return text


__all__ = ["symbol_prompt"]
