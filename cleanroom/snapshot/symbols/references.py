"""What a references search is: the whole-word, case-sensitive regex of a symbol
name (ADR 0211), written and recognised as plain text.

Pure text, no search code: forensics (the report, and `cleanroom verify`
describing an entry) tells a references search apart with `references_name`
without loading the query compiler or re2. `query.references_query` turns the
pattern into the search the reviewer runs.
"""

from __future__ import annotations

import re

from .rows import name_problem


def references_pattern(name: str) -> str:
    """The regex that finds the references of `name`: `\\bNAME\\b`, escaped.
    Raises ValueError, naming the problem, if `name` cannot be a symbol name."""
    problem = name_problem(name.encode("utf-8", "surrogatepass"))
    if problem:
        raise ValueError(problem)
    return rf"\b{re.escape(name)}\b"


def references_name(text: str, regex: bool, case: bool, globs: bool = False) -> str | None:
    """The symbol name whose references a search is (`references_pattern`), or
    None for any other search: how the report and replay tell references apart."""
    if not (regex and case) or globs or not (text.startswith(r"\b") and text.endswith(r"\b")):
        return None
    name = re.sub(r"\\(.)", r"\1", text[2:-2], flags=re.S)
    if not name:
        return None
    try:
        return name if references_pattern(name) == text else None
    except ValueError:
        return None


__all__ = ["references_name", "references_pattern"]
