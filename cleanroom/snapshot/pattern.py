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
# literals in one clause: a straddle of two small classes (`[0-9a-f]-[0-9a-f]`: 256
# trigrams) narrows the UUID shape to half of Linux's text (issue 17, ADR 0118)
MAX_CLAUSE = 256
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
    """What a sub-pattern tells about its matches (after Russ Cox's codesearch,
    index/regexp.go): `exact` is every string it can match (None: too many or
    unknown); otherwise `prefix` holds a start of every match and `suffix` an end of
    every match (short strings; Literal(b"") among them says nothing), and `empty`
    whether it can match the empty string. `cnf` is what every match contains."""

    exact: frozenset[Literal] | None
    cnf: tuple[Clause, ...]
    prefix: frozenset[Literal] = frozenset()
    suffix: frozenset[Literal] = frozenset()
    empty: bool = False

    def starts(self) -> frozenset[Literal]:
        return self.exact if self.exact is not None else self.prefix

    def ends(self) -> frozenset[Literal]:
        return self.exact if self.exact is not None else self.suffix


_EMPTY = frozenset({Literal(b"", False)})
_ANYCHAR = _Info(None, (), _EMPTY, _EMPTY, False)  # one unknown character
_ANYTHING = _Info(None, (), _EMPTY, _EMPTY, True)  # any string, empty too
MAX_SET = 20  # strings in a prefix or suffix set (codesearch's maxSet)
MAX_CLASS = 32  # characters of a class expanded into exact strings


def _analyse(items: list, ci: bool) -> _Info:
    """Concatenation, left to right."""
    info = _Info(_EMPTY, ())
    for op, av in items:
        info = _concat(info, _analyse_one(op, av, ci))
    return info


def _concat(x: _Info, y: _Info) -> _Info:
    """xy: exact strings multiply while they stay few; otherwise prefixes and suffixes
    carry on, and the strings that straddle the join (an end of x, then a start of
    y) become a clause when they are long enough for the index."""
    cnf = [*x.cnf, *y.cnf]
    if x.exact is not None and y.exact is not None:
        joined = _product(x.exact, y.exact)
        if joined is not None:
            return _Info(joined, tuple(cnf))
        x, y = _demote(x), _demote(y)
        cnf = [*x.cnf, *y.cnf]
    cnf += _as_clause(_product(x.ends(), y.starts(), MAX_CLAUSE))
    if x.exact is not None:
        prefix = _product(x.exact, y.prefix, MAX_SET) or _trim(x.exact, True)
    else:
        prefix = x.prefix | y.prefix if x.empty else x.prefix
    if y.exact is not None:
        suffix = _product(x.suffix, y.exact, MAX_SET) or _trim(y.exact, False)
    else:
        suffix = y.suffix | x.suffix if y.empty else y.suffix
    empty = _can_be_empty(x) and _can_be_empty(y)
    return _Info(None, _prune(cnf), _trim(prefix, True), _trim(suffix, False), empty)


def _can_be_empty(info: _Info) -> bool:
    return info.empty if info.exact is None else _has_empty(info.exact)


def _demote(info: _Info) -> _Info:
    """The same facts without an exact set: it becomes a clause (if the index can use
    it) and the starts and ends of its strings."""
    if info.exact is None:
        return info
    exact = info.exact
    return _Info(None, _prune([*info.cnf, *_as_clause(exact)]), _trim(exact, True),
                 _trim(exact, False), _has_empty(exact))  # fmt: skip


def _has_empty(strings: frozenset[Literal]) -> bool:
    return any(not lit.text for lit in strings)


def _trim(strings: frozenset[Literal], start: bool) -> frozenset[Literal]:
    """Prefixes (`start`) or suffixes of at most MIN_LITERAL characters, fewer while
    there are more than MAX_SET of them. What is known before a string holds only at
    a match's start: a suffix keeps nothing of it."""
    if not strings:
        return _EMPTY  # nothing matches: any set is sound
    n = MIN_LITERAL
    while True:
        out = frozenset(_cut(lit, n, start) for lit in strings)
        if len(out) <= MAX_SET or n == 0:
            return out
        n -= 1


def _cut(lit: Literal, n: int, start: bool) -> Literal:
    chars = lit.text.decode("utf-8", "surrogateescape")
    if start:
        text = chars[:n].encode("utf-8", "surrogateescape")
        return Literal(text, lit.folded and bool(text), lit.before)
    text = chars[max(0, len(chars) - n) :].encode("utf-8", "surrogateescape") if n else b""
    return Literal(text, lit.folded and bool(text), "")


def _analyse_one(op, av, ci: bool) -> _Info:  # noqa: C901 (one case per node type)
    if op is c.LITERAL:
        if av == 0x0A:
            return _ANYCHAR  # never matches (see _char); nothing to require of it
        return _Info(frozenset({_literal(av, ci)}), ())
    if op is c.IN:
        negate = bool(av) and av[0][0] is c.NEGATE
        if negate:
            return _ANYCHAR
        chars = _small_set(_set_of(av), ci)
        return _Info(chars, ()) if chars is not None else _ANYCHAR
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
            if hi == 1:
                return _alternation([inner, _Info(_EMPTY, ())])
            return _ANYTHING
        if lo == hi and inner.exact is not None and lo <= 16:
            exact: frozenset[Literal] | None = inner.exact
            for _ in range(lo - 1):
                exact = _product(exact, inner.exact) if exact is not None else None
            if exact is not None:
                return _Info(exact, inner.cnf)
        # Every match starts and ends with min(lo, 3) repetitions: what those say holds.
        body = inner
        for _ in range(min(lo, 3) - 1):
            body = _concat(body, inner)
        return _demote(body) if lo != hi or lo > 3 else body
    return _ANYCHAR  # ANY, NOT_LITERAL: one unknown character


def _literal(code: int, ci: bool) -> Literal:
    data = chr(code).encode("utf-8", "surrogatepass")
    if ci and _is_letter(code):
        return Literal(data.lower(), True)
    return Literal(data, False)


def _small_set(ranges: Ranges, ci: bool) -> frozenset[Literal] | None:
    ranges = _subtract_newline(_fold(ranges) if ci else ranges)
    if sum(b - a + 1 for a, b in ranges) > MAX_CLASS:
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


def _product(
    a: frozenset[Literal], b: frozenset[Literal], limit: int = MAX_EXACT
) -> frozenset[Literal] | None:
    if len(a) * len(b) > limit:
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
    prefix = _trim(frozenset().union(*(_trim(a.starts(), True) for a in alts)), True)
    suffix = _trim(frozenset().union(*(_trim(a.ends(), False) for a in alts)), False)
    empty = any(_can_be_empty(a) for a in alts)
    # (A1 ∧ A2) ∨ (B1 ∧ B2) = ∧ of (Ai ∨ Bj): every alternative contributes to every clause.
    cnf: list[Clause] = [frozenset()]
    for alt in alts:
        own = [*alt.cnf, *_as_clause(alt.exact)]
        if not own:
            cnf = []
            break
        cnf = list(_prune([x | y for x in cnf for y in own]))
        if not cnf:
            break
    return _Info(None, tuple(cnf), prefix, suffix, empty)


def _as_clause(exact: frozenset[Literal] | None) -> list[Clause]:
    """Exact strings as a clause, if the index could use every one of them."""
    if not exact or any(lit.chars < MIN_LITERAL for lit in exact):
        return []
    return [_minimal(exact)]


def _minimal(clause: frozenset[Literal]) -> Clause:
    """Drop a literal that contains another (the shorter one is implied anyway)."""
    within = _Within(clause)
    return frozenset(lit for lit in clause if not within.holds_one(lit, lit))


class _Within:
    """Which of `lits` a literal contains (`_contains`), found by looking up its
    substrings of each length the set has, not by comparing every pair: a clause of
    256 trigrams made `_minimal` 65,536 comparisons, 0.2 s of CPU in every process
    that plans the query (a search worker too)."""

    def __init__(self, lits: frozenset[Literal]) -> None:
        self._by: dict[tuple[bool, int], dict[bytes, list[Literal]]] = {}
        for lit in lits:
            table = self._by.setdefault((lit.folded, len(lit.text)), {})
            table.setdefault(lit.text, []).append(lit)

    def holds_one(self, big: Literal, skip: Literal | None = None) -> bool:
        """Whether `big` contains one of the literals other than `skip`."""
        for (folded, n), table in self._by.items():
            if n > len(big.text) or (big.folded and not folded):
                continue  # _contains: no match (longer; or folded in big only)
            hay = big.text.lower() if folded else big.text
            for i in range(len(hay) - n + 1):  # every place `small.text in hay` can hold
                for small in table.get(hay[i : i + n], ()):
                    if small is not skip and _contains(big, small):
                        return True
        return False


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
    within = {cl: _Within(cl) for cl in usable}
    kept: list[Clause] = []
    for clause in sorted(usable, key=_selectivity):  # a clause another implies adds nothing
        if not any(_implies(k, within[clause]) for k in kept):
            kept = [k for k in kept if not _implies(clause, within[k])]
            kept.append(clause)
    return tuple(kept[:MAX_CLAUSES])


def _implies(a: Clause, b: _Within) -> bool:
    """Whether every match holding a literal of `a` holds one of `b`'s too."""
    return all(b.holds_one(x) for x in a)


def _selectivity(clause: Clause) -> tuple:
    shortest = min(len(lit.text) for lit in clause)
    return (-shortest, len(clause), sorted((lit.text, lit.folded, lit.before) for lit in clause))


def _requirement(info: _Info) -> Requirement:
    if info.exact is not None:
        return _prune([*info.cnf, *_as_clause(info.exact)])
    return _prune([*info.cnf, *_as_clause(info.prefix), *_as_clause(info.suffix)])


def literal_requirement(text: bytes, case: bool) -> Requirement:
    """The requirement of a plain literal query: the literal itself, if long enough."""
    lit = Literal(text.lower(), True) if not case else Literal(text, False)
    return _requirement(_Info(frozenset({lit}), ()))
