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
from .pattern import (
    LINE_START,
    MIN_LITERAL,
    Literal,
    Requirement,
    literal_requirement,
    parse,
)
from .prefilter import Prefilter
from .presence import needs_of
from .shortlit import short_needle

MAX_LITERAL = 1000  # characters
NEAR_FROM = 10  # characters: a literal this long is looked up as a NEAR group, not a phrase


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
    context: str | None = None  # narrows `index` for complete documents (context_expression)
    # The heads of the literals a byte over 0x7F may stand before in a match: what an
    # incomplete document must hold after such a byte to stay a candidate (high_bytes)
    after_high: tuple[bytes, ...] = ()
    likely: bool = False  # most candidates hold a match (a literal): read line indexes early
    short: bytes | None = None  # a literal of one or two bytes, lowercased (shortlit)
    # What a blob must hold to be read when the index cannot say: for each distinct
    # byte of a literal, the bytes one of which must be there (presence.holding)
    needs: tuple[bytes, ...] = ()


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
        matcher = LiteralMatcher(needle, query.case)
        index = index_expression(required)
        short = short_needle(needle) if index is None else None
        needs = needs_of(needle, query.case) if index is None else ()
        return Plan(index, matcher, paths, likely=True, short=short, needs=needs)
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
    index = index_expression(parsed.required)
    context = context_expression(parsed.required) if index is not None else None
    heads = after_high_heads(parsed.required) if context is not None else ()
    # With no literal to find first, Hyperscan chooses the lines RE2 runs on (ADR 0113)
    prefilter = Prefilter.of(query.text, query.case) if line_filter is None else None
    matcher = RegexMatcher(compiled, line_filter, prefilter)
    return Plan(index, matcher, paths, context, after_high=heads)


def _why(exc: Exception) -> str:
    text = exc.args[0] if exc.args else exc
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


MAX_FILTER = 4  # literals in a line filter: beyond, RE2 over the whole run is faster


def _line_filter(required: Requirement) -> tuple[Literal, ...] | None:
    """The literals of the most selective clause: every matching line holds one. None
    if that clause has more than MAX_FILTER (finding each of sixteen `0x0`..`0xf`
    costs more than RE2 scanning for the pattern itself)."""
    if not required or len(required[0]) > MAX_FILTER:
        return None
    return tuple(sorted({(lit.text, lit.folded): lit for lit in required[0]}.values(), key=_key))


def _key(lit: Literal) -> tuple[bytes, bool]:
    return lit.text, lit.folded


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
    """The literal as an FTS5 phrase (or NEAR group), or the longest part of it the
    index can look up reliably. The trigram tokenizer reads characters, so a phrase needs at least
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
    if len(best) < NEAR_FROM:
        return _quoted(best)
    # A long phrase makes FTS5 check the position of every one of its trigrams; its
    # trigrams three characters apart, all within its length, select almost the same
    # documents for about half the work.
    pieces = [best[i : i + 3] for i in range(0, len(best) - 2, 3)]
    if len(best) % 3:
        pieces.append(best[-3:])
    unique = list(dict.fromkeys(pieces))
    if len(unique) == 1:  # one trigram over and over: the phrase says more
        return _quoted(best)
    return "NEAR(" + " ".join(_quoted(p) for p in unique) + f", {len(best)})"


# What may stand just before a literal, as the index reads a *complete* document (one
# byte per character, no NUL; see candidates.py): any byte but NUL, read as itself, or a
# lone UTF-8 lead byte, read as U+FFFD. The index folds case, so lowercase suffices.
_WORD = frozenset("0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD_CHARS = tuple(sorted(ch for ch in _WORD if not ch.isupper()))
_NOT_WORD = (
    *(chr(b) for b in range(1, 0x80) if chr(b) not in _WORD),
    *(chr(b) for b in range(0x80, 0xC0)),
    "\ufffd",
)


def context_expression(required: Requirement) -> str | None:
    """An FTS5 MATCH expression that every *complete* document holding a match also
    satisfies, or None. Where the pattern says what comes just before a literal (a word
    boundary, the start of a line), it asks for the literal's first three characters
    preceded by each character that can stand there: `\\bmalloc` needs "malloc" after
    a character that is not a word character, so "kmalloc" alone does not make a
    document a candidate. Only for documents the index reads one character per byte
    is that reliable; the others stay candidates (candidates.py)."""
    clauses = []
    for clause in required:
        contexts = [_context(lit) if lit.before else None for lit in clause]
        if not any(contexts):
            continue
        parts = [ctx or _phrase(lit) for ctx, lit in zip(contexts, clause, strict=True)]
        if None in parts:
            continue  # as in index_expression: the clause cannot be used
        unique = sorted(set(parts))  # type: ignore[arg-type]
        clauses.append(unique[0] if len(unique) == 1 else "(" + " OR ".join(unique) + ")")
    if not clauses or sum(c.count('"') for c in clauses) > 2 * MAX_CONTEXT_PHRASES:
        return None  # nothing to narrow by, or more phrases than narrowing is worth
    return " AND ".join(clauses)


MAX_CONTEXT_PHRASES = 400  # about three literals' worth (each needs 130)


def after_high_heads(required: Requirement) -> tuple[bytes, ...]:
    """The first three bytes (ASCII, lowercased) of every literal whose context asks
    for a non-word character before it: in an incomplete document that byte may be
    over 0x7F, which the context expression cannot see (high_bytes.py). Before every
    other literal the context names an ASCII byte (a line feed, a word character),
    which the index reads as itself in any document."""
    heads = {
        lit.text[:3].lower()
        for clause in required
        for lit in clause
        if lit.before and lit.before != LINE_START and _context(lit) is not None
        and chr(lit.text[0]) in _WORD
    }  # fmt: skip
    return tuple(sorted(heads))


def _context(lit: Literal) -> str | None:
    head = lit.text[:3]
    if len(head) < 3 or not head.isascii() or b"\x00" in head:
        return None
    text = head.decode("ascii")
    if lit.before == LINE_START:
        before, at_start = ("\n",), True
    elif text[0] in _WORD:  # a boundary before a word character: a non-word one before
        before, at_start = _NOT_WORD, True
    else:  # a boundary before a non-word character: a word character before
        before, at_start = _WORD_CHARS, False
    phrases = [_quoted(ch + text) for ch in before]
    if at_start:
        phrases.append("^" + _quoted(text))  # the document's first characters
    return "(" + " OR ".join(phrases) + ")"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
