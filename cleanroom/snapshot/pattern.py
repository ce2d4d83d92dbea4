"""User regexes: Python `re` syntax in, an RE2 pattern with line semantics out,
plus the literals that every match must contain.

The pattern is parsed with Python's own parser (`re._parser`), so the syntax
and its error messages are Python's. The tree is then written out again as RE2
syntax, which is what makes the semantics ours rather than either engine's
defaults (docs/snapshot-format.md, "Search results and their digest"):

- A match lies within one line. `.`, negated classes and `\\s` never match a
  line feed, a literal line feed never matches, `^`/`\\A` and `$`/`\\Z` are the
  start and end of a line. The RE2 pattern can so be run over many lines at once
  and still give per-line results.
- Classes, `\\w \\d \\s \\b` and case-insensitivity are ASCII, as with Python's
  `re.ASCII`: `(?i)é` does not match `É`.
- Constructs that need backtracking (backreferences, lookaround, conditionals,
  atomic groups, possessive quantifiers) are refused: RE2 runs in linear time,
  so no pattern can hang the workstation.

`Parsed.required` comes from walking the same tree: a conjunction of clauses,
each a set of literals of which every match contains at least one. The index
uses them to choose candidate files, and the matcher to choose candidate lines.
A literal also says what the pattern puts just before it (`Literal.before`: a
word boundary, as in `\\bmalloc`, or the start of a line), which lets the index
rule out files where the text only ever follows something else (`kmalloc`).

Failures raise `ValueError` with a message meant for the person who typed the
pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

MAX_PATTERN = 1000  # characters
MAX_REPEAT = 1000  # RE2's limit on {n,m}
MAX_CODE = 0x10FFFF
NEVER = r"[^\x00-\x{10ffff}]"  # an empty class: matches nothing

# How much of the literal analysis to keep: enough to prefilter well, bounded so that
# a pattern like (a|b|c){20} cannot blow up.
MAX_EXACT = 64  # strings in one exact set
MAX_CLAUSE = 32  # literals in one clause
MAX_CLAUSES = 8
MIN_LITERAL = 3  # characters: the trigram index cannot use anything shorter

_UNSUPPORTED = {
    c.GROUPREF: "backreferences are not supported",
    c.GROUPREF_EXISTS: "conditional groups are not supported",
    c.ASSERT: "lookahead and lookbehind are not supported",
    c.ASSERT_NOT: "lookahead and lookbehind are not supported",
    c.ATOMIC_GROUP: "atomic groups are not supported",
    c.POSSESSIVE_REPEAT: "possessive quantifiers are not supported",
}
_LINEAR = " (the search engine, RE2, runs in linear time and has no backtracking)"

Ranges = list[tuple[int, int]]  # sorted, disjoint, inclusive code point ranges
_DIGIT: Ranges = [(0x30, 0x39)]
_WORD: Ranges = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_SPACE: Ranges = [(0x09, 0x0D), (0x20, 0x20)]  # Python's ASCII \s: \t \n \v \f \r and space


BOUNDARY = "\\b"  # a word boundary
LINE_START = "^"


@dataclass(frozen=True, slots=True)
class Literal:
    """A byte string every match contains. `folded`: compare ASCII-case-insensitively
    (then `text` is ASCII-lowercased). `before`: what the pattern says about the
    position just before `text` wherever a match holds it: nothing (""), a word
    boundary (BOUNDARY) or the start of a line (LINE_START)."""

    text: bytes
    folded: bool
    before: str = ""

    @property
    def chars(self) -> int:
        return len(self.text.decode("utf-8", "surrogateescape"))


Clause = frozenset[Literal]  # at least one of these occurs in every match
Requirement = tuple[Clause, ...]  # all of these clauses hold; () requires nothing


@dataclass(frozen=True, slots=True)
class Parsed:
    re2: str  # the pattern to compile with RE2 (UTF-8, case-sensitive, ASCII semantics)
    required: Requirement


def parse(text: str, case: bool) -> Parsed:
    """Parse a user pattern. `case=False` matches ASCII letters in either case.
    Raises ValueError with a readable message."""
    if len(text) > MAX_PATTERN:
        raise ValueError(f"the pattern is longer than {MAX_PATTERN} characters")
    flags = re.ASCII | (0 if case else re.IGNORECASE)
    try:
        tree = _parser.parse(text, flags)
    except re.error as exc:
        raise ValueError(f"bad pattern: {exc}") from None
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"bad pattern: {exc}") from None
    except RecursionError:
        raise ValueError("bad pattern: nested too deeply") from None
    ci = bool(tree.state.flags & re.IGNORECASE)
    try:
        body = _emit(list(tree), ci)
        info = _analyse(list(tree), ci)
    except RecursionError:
        raise ValueError("bad pattern: nested too deeply") from None
    return Parsed("(?m)" + body, _requirement(info))


# -- writing RE2 syntax ---------------------------------------------------------------


def _emit(items: list, ci: bool) -> str:
    return "".join(_emit_one(op, av, ci) for op, av in items)


def _emit_one(op, av, ci: bool) -> str:  # noqa: C901 (one case per node type)
    if op in _UNSUPPORTED:
        raise ValueError(_UNSUPPORTED[op] + _LINEAR)
    if op is c.LITERAL:
        return _class([(av, av)], False, ci) if ci and _is_letter(av) else _char(av)
    if op is c.NOT_LITERAL:
        return _class([(av, av)], True, ci)
    if op is c.ANY:
        return r"[^\n]"
    if op is c.IN:
        negate = bool(av) and av[0][0] is c.NEGATE
        return _class(_set_of(av[1:] if negate else av), negate, ci)
    if op is c.BRANCH:
        return "(?:" + "|".join(_emit(list(alt), ci) for alt in av[1]) + ")"
    if op is c.SUBPATTERN:
        _group, add, remove, sub = av
        return "(?:" + _emit(list(sub), _scoped(ci, add, remove)) + ")"
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        lo, hi, sub = av
        for n in (lo, hi):
            if n is not c.MAXREPEAT and n > MAX_REPEAT:
                raise ValueError(f"repetition counts above {MAX_REPEAT} are not supported")
        lazy = "?" if op is c.MIN_REPEAT else ""
        return "(?:" + _emit(list(sub), ci) + ")" + _quantifier(lo, hi) + lazy
    if op is c.AT:
        return _ANCHORS[av]
    raise ValueError(f"unsupported construct in pattern: {op}")


_ANCHORS = {
    c.AT_BEGINNING: "^",
    c.AT_BEGINNING_STRING: "^",
    c.AT_END: "$",
    c.AT_END_STRING: "$",
    c.AT_BOUNDARY: r"\b",
    c.AT_NON_BOUNDARY: r"\B",
}


def _quantifier(lo: int, hi) -> str:
    if hi is c.MAXREPEAT:
        return {0: "*", 1: "+"}.get(lo, f"{{{lo},}}")
    if (lo, hi) == (0, 1):
        return "?"
    return f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"


def _scoped(ci: bool, add: int, remove: int) -> bool:
    if add & re.IGNORECASE:
        return True
    if remove & re.IGNORECASE:
        return False
    return ci


def _char(code: int) -> str:
    if code == 0x0A:
        return NEVER  # a line never contains a line feed
    ch = chr(code)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{code:x}}}"


def _is_letter(code: int) -> bool:
    return 0x41 <= code <= 0x5A or 0x61 <= code <= 0x7A


def _set_of(items: list) -> Ranges:
    """The code points a class's items name (before case folding and negation)."""
    out: Ranges = []
    for op, av in items:
        if op is c.LITERAL:
            out.append((av, av))
        elif op is c.RANGE:
            out.append(av)
        elif op is c.CATEGORY:
            out += _category(av)
        else:
            raise ValueError(f"unsupported construct in a character class: {op}")
    return _normal(out)


def _category(cat) -> Ranges:
    table = {
        c.CATEGORY_DIGIT: (_DIGIT, False),
        c.CATEGORY_NOT_DIGIT: (_DIGIT, True),
        c.CATEGORY_SPACE: (_SPACE, False),
        c.CATEGORY_NOT_SPACE: (_SPACE, True),
        c.CATEGORY_WORD: (_WORD, False),
        c.CATEGORY_NOT_WORD: (_WORD, True),
    }
    if cat not in table:
        raise ValueError(f"unsupported character category: {cat}")
    ranges, negated = table[cat]
    return _complement(ranges) if negated else list(ranges)


def _class(ranges: Ranges, negate: bool, ci: bool) -> str:
    """One RE2 class for the code points `ranges` (folded if `ci`, complemented if
    `negate`), never matching a line feed."""
    if ci:
        ranges = _fold(ranges)
    # a negated class excludes the line feed too
    ranges = _complement(_normal([*ranges, (0x0A, 0x0A)])) if negate else _subtract_newline(ranges)
    if not ranges:
        return NEVER
    return "[" + "".join(_range(a, b) for a, b in ranges) + "]"


def _range(a: int, b: int) -> str:
    return f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}"


def _normal(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _complement(ranges: Ranges) -> Ranges:
    out: Ranges = []
    nxt = 0
    for a, b in _normal(ranges):
        if a > nxt:
            out.append((nxt, a - 1))
        nxt = b + 1
    if nxt <= MAX_CODE:
        out.append((nxt, MAX_CODE))
    return out


def _fold(ranges: Ranges) -> Ranges:
    """Add the other ASCII case of every letter in `ranges`."""
    extra: Ranges = []
    for a, b in ranges:
        for lo, hi, shift in ((0x41, 0x5A, 32), (0x61, 0x7A, -32)):
            x, y = max(a, lo), min(b, hi)
            if x <= y:
                extra.append((x + shift, y + shift))
    return _normal([*ranges, *extra])


def _subtract_newline(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for a, b in ranges:
        if a <= 0x0A <= b:
            out += [r for r in ((a, 0x09), (0x0B, b)) if r[0] <= r[1]]
        else:
            out.append((a, b))
    return out


# -- required literals ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Info:
    """What a sub-pattern tells about its matches: `exact` is every string it can
    match (None: too many or unknown), `cnf` what every match contains."""

    exact: frozenset[Literal] | None
    cnf: tuple[Clause, ...]


_EMPTY = frozenset({Literal(b"", False)})
_ANYTHING = _Info(None, ())


def _analyse(items: list, ci: bool) -> _Info:
    """Concatenation: grow the exact strings of a run while they stay few. At an
    unknown part, keep the run as a clause and start a new run after it; the
    whole is then no longer exact."""
    run: frozenset[Literal] | None = _EMPTY
    cnf: list[Clause] = []
    whole = True
    for op, av in items:
        part = _analyse_one(op, av, ci)
        cnf += part.cnf
        if run is not None and part.exact is not None:
            joined = _product(run, part.exact)
            if joined is not None:
                run = joined
                continue
        whole = False
        cnf += _as_clause(run)
        run = part.exact
    if whole:
        return _Info(run, ())  # parts with exact strings have no clauses of their own
    return _Info(None, _prune([*cnf, *_as_clause(run)]))


def _analyse_one(op, av, ci: bool) -> _Info:  # noqa: C901 (one case per node type)
    if op is c.LITERAL:
        if av == 0x0A:
            return _ANYTHING  # never matches (see _char); nothing to require
        return _Info(frozenset({_literal(av, ci)}), ())
    if op is c.IN:
        negate = bool(av) and av[0][0] is c.NEGATE
        if negate:
            return _ANYTHING
        chars = _small_set(_set_of(av), ci)
        return _Info(chars, ()) if chars is not None else _ANYTHING
    if op is c.AT:
        before = _BEFORE.get(av, "")
        return _Info(frozenset({Literal(b"", False, before)}) if before else _EMPTY, ())
    if op is c.SUBPATTERN:
        _group, add, remove, sub = av
        return _analyse(list(sub), _scoped(ci, add, remove))
    if op is c.BRANCH:
        return _alternation([_analyse(list(alt), ci) for alt in av[1]])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        lo, hi, sub = av
        inner = _analyse(list(sub), ci)
        if lo == 0:
            if hi == 1 and inner.exact is not None:
                return _Info(_union(_EMPTY, inner.exact), ())
            return _ANYTHING
        if lo == hi and inner.exact is not None and lo <= 16:
            exact: frozenset[Literal] | None = inner.exact
            for _ in range(lo - 1):
                exact = _product(exact, inner.exact) if exact is not None else None
            if exact is not None:
                return _Info(exact, inner.cnf)
        return _Info(None, _prune([*inner.cnf, *_as_clause(inner.exact)]))
    return _ANYTHING  # ANY, NOT_LITERAL: one unknown character


def _literal(code: int, ci: bool) -> Literal:
    data = chr(code).encode("utf-8", "surrogatepass")
    if ci and _is_letter(code):
        return Literal(data.lower(), True)
    return Literal(data, False)


def _small_set(ranges: Ranges, ci: bool) -> frozenset[Literal] | None:
    ranges = _subtract_newline(_fold(ranges) if ci else ranges)
    if sum(b - a + 1 for a, b in ranges) > 8:
        return None
    return frozenset(_literal(x, ci) for a, b in ranges for x in range(a, b + 1))


_BEFORE = {c.AT_BEGINNING: LINE_START, c.AT_BEGINNING_STRING: LINE_START, c.AT_BOUNDARY: BOUNDARY}


def _join(a: Literal, b: Literal) -> Literal:
    # What is known before the joined text is what was known before a's; if a is empty,
    # both hold at the same place, and the start of a line says more.
    before = a.before if a.text else max(a.before, b.before, key=_STRENGTH.index)
    if a.folded == b.folded or not a.text or not b.text:
        folded = (a.folded or b.folded) and bool(a.text + b.text)
        return Literal(a.text + b.text, folded, before)
    return Literal(a.text.lower() + b.text.lower(), True, before)


_STRENGTH = ("", BOUNDARY, LINE_START)


def _product(a: frozenset[Literal], b: frozenset[Literal]) -> frozenset[Literal] | None:
    if len(a) * len(b) > MAX_EXACT:
        return None
    return frozenset(_join(x, y) for x in a for y in b)


def _union(a: frozenset[Literal], b: frozenset[Literal]) -> frozenset[Literal] | None:
    out = a | b
    return out if len(out) <= MAX_EXACT else None


def _alternation(alts: list[_Info]) -> _Info:
    exact: frozenset[Literal] | None = frozenset()
    for alt in alts:
        exact = _union(exact, alt.exact) if exact is not None and alt.exact is not None else None
    if exact is not None:
        return _Info(exact, ())
    # (A1 ∧ A2) ∨ (B1 ∧ B2) = ∧ of (Ai ∨ Bj): every alternative contributes to every clause.
    cnf: list[Clause] = [frozenset()]
    for alt in alts:
        own = [*alt.cnf, *_as_clause(alt.exact)]
        if not own:
            return _ANYTHING
        cnf = _prune([x | y for x in cnf for y in own])
        if not cnf:
            return _ANYTHING
    return _Info(None, tuple(cnf))


def _as_clause(exact: frozenset[Literal] | None) -> list[Clause]:
    """Exact strings as a clause, if the index could use every one of them."""
    if not exact or any(lit.chars < MIN_LITERAL for lit in exact):
        return []
    return [_minimal(exact)]


def _minimal(clause: frozenset[Literal]) -> Clause:
    """Drop a literal that contains another (the shorter one is implied anyway)."""
    keep = set(clause)
    for lit in clause:
        for other in clause:
            if other != lit and _contains(lit, other):
                keep.discard(lit)
                break
    return frozenset(keep)


def _contains(big: Literal, small: Literal) -> bool:
    """Whether every occurrence of `big` (with what is known before it) is one of `small`."""
    if small.folded:
        hay = big.text.lower()
    elif big.folded:
        return False
    else:
        hay = big.text
    if small.before:  # known only at the start of big
        return big.before == small.before and hay.startswith(small.text)
    return small.text in hay


def _prune(cnf: list[Clause] | tuple[Clause, ...]) -> tuple[Clause, ...]:
    """Keep at most MAX_CLAUSES clauses of at most MAX_CLAUSE literals, the most
    selective first. Dropping a clause only weakens the requirement, so stays sound."""
    usable = {cl for cl in cnf if cl and len(cl) <= MAX_CLAUSE}
    return tuple(sorted(usable, key=_selectivity)[:MAX_CLAUSES])


def _selectivity(clause: Clause) -> tuple:
    shortest = min(len(lit.text) for lit in clause)
    return (-shortest, len(clause), sorted((lit.text, lit.folded, lit.before) for lit in clause))


def _requirement(info: _Info) -> Requirement:
    return _prune([*info.cnf, *_as_clause(info.exact)])


def literal_requirement(text: bytes, case: bool) -> Requirement:
    """The requirement of a plain literal query: the literal itself, if long enough."""
    lit = Literal(text.lower(), True) if not case else Literal(text, False)
    return _requirement(_Info(frozenset({lit}), ()))
