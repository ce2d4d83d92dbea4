"""A search query, checked, and the plan that runs it.

`Query` is what the reviewer asked: text, literal or regex, case, path globs.
Building one validates everything, so a bad pattern fails here, with a
`SearchError` whose message can be shown as it is. `Query.plan()` says how to
run it: the FTS5 expression that picks candidate files, the matcher that finds
hits in a candidate's lines, and the path filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2

from .linematch import LiteralMatcher, Matcher, RegexMatcher
from .pathglob import PathFilter
from .pattern import MIN_LITERAL, Literal, Requirement, literal_requirement, parse

MAX_LITERAL = 1000  # characters


class SearchError(Exception):
    """A query that cannot run (bad pattern, bad glob), or a snapshot that cannot be
    searched. The message is meant for the reviewer."""


class SearchCancelled(SearchError):
    """The search was cancelled; no partial total or digest is given."""


@dataclass(frozen=True)
class Query:
    """What to look for. `text` is a literal, or with `regex=True` a Python-syntax
    regex (see `pattern`). `case=False` folds ASCII letters only. `include` and
    `exclude` are path globs (see `pathglob`). Raises SearchError when invalid."""

    text: str
    regex: bool = False
    case: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _plan: Plan = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("include", "exclude"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(g, str) for g in value):
                raise SearchError(f"{name} must be a list of glob strings")
            object.__setattr__(self, name, tuple(value))
        if not isinstance(self.text, str):
            raise SearchError("the query must be text")
        if not isinstance(self.regex, bool) or not isinstance(self.case, bool):
            raise SearchError("regex and case must be true or false")
        object.__setattr__(self, "_plan", _plan(self))

    def plan(self) -> Plan:
        return self._plan

    def to_json(self) -> dict[str, Any]:
        """The query as a JSON object: in the result digest, and for the ledger."""
        return {
            "text": self.text,
            "regex": self.regex,
            "case": self.case,
            "include": list(self.include),
            "exclude": list(self.exclude),
        }


@dataclass(frozen=True)
class Plan:
    index: str | None  # FTS5 MATCH expression; None: every text file is a candidate
    matcher: Matcher
    paths: PathFilter


def _plan(query: Query) -> Plan:
    if not query.text:
        raise SearchError("the query is empty")
    try:
        needle = query.text.encode("utf-8")
    except UnicodeEncodeError:
        raise SearchError("the query contains characters that are not valid text") from None
    try:
        paths = PathFilter(query.include, query.exclude)
    except ValueError as exc:
        raise SearchError(str(exc)) from None
    if not query.regex:
        if len(query.text) > MAX_LITERAL:
            raise SearchError(f"the query is longer than {MAX_LITERAL} characters")
        if "\n" in query.text:
            raise SearchError("the query contains a line break; a match lies within one line")
        required = literal_requirement(needle, query.case)
        return Plan(index_expression(required), LiteralMatcher(needle, query.case), paths)
    try:
        parsed = parse(query.text, query.case)
    except ValueError as exc:
        raise SearchError(str(exc)) from None
    options = re2.Options()
    options.never_capture = True
    options.log_errors = False
    try:
        compiled = re2.compile(parsed.re2.encode("utf-8"), options)
    except re2.error as exc:
        raise SearchError(f"the pattern is too large or complex to run: {_why(exc)}") from None
    line_filter = _line_filter(parsed.required)
    return Plan(index_expression(parsed.required), RegexMatcher(compiled, line_filter), paths)


def _why(exc: Exception) -> str:
    text = exc.args[0] if exc.args else exc
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _line_filter(required: Requirement) -> tuple[Literal, ...] | None:
    """The literals of the most selective clause: every matching line holds one."""
    return tuple(sorted(required[0], key=lambda lit: (lit.text, lit.folded))) if required else None


# -- the index ----------------------------------------------------------------------


def index_expression(required: Requirement) -> str | None:
    """An FTS5 MATCH expression whose documents include every blob that can match,
    or None if the index cannot narrow the search."""
    clauses = []
    for clause in required:
        phrases = [_phrase(lit) for lit in clause]
        if any(p is None for p in phrases):
            continue  # one literal the index cannot express makes the clause unusable
        unique = sorted(set(phrases))  # type: ignore[arg-type]
        clauses.append(unique[0] if len(unique) == 1 else "(" + " OR ".join(unique) + ")")
    return " AND ".join(clauses) if clauses else None


def _phrase(lit: Literal) -> str | None:
    """The literal as an FTS5 phrase, or the longest part of it the index can look
    up reliably. The trigram tokenizer reads characters, so a phrase needs at least
    three; FTS5 stops a query at NUL, so none may be in it; and in content that is not
    valid UTF-8 a stray continuation byte can merge into a preceding non-ASCII
    character, so a phrase must not end in one."""
    text = lit.text.decode("utf-8", "surrogateescape")
    best = ""
    for piece in text.split("\x00"):
        while piece and not piece[-1].isascii():
            piece = piece[:-1]
        if any("\udc80" <= ch <= "\udcff" for ch in piece):
            continue
        if len(piece) > len(best):
            best = piece
    if len(best) < MIN_LITERAL:
        return None
    return '"' + best.replace('"', '""') + '"'
