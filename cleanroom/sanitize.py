"""The one sanitizer: every untrusted string passes through here before display.

Source lines, file names, search queries, reviewer names read back from a
ledger, error messages: anything that did not come from Cleanroom's own code.
Each control, bidi, invisible or otherwise unprintable code point is replaced by
a visible tag such as ``⟨RLO⟩`` or ``⟨x1B⟩``, so nothing reaches the terminal
that could drive it (escape sequences) or hide from the reader (Trojan Source,
CVE-2021-42574). The tag brackets U+27E8/U+27E9 are narrow, so columns hold.

Printable characters that deceive are tagged too (`lookalikes`): a letter of
another script inside an identifier that it could pass for a letter of (a
Cyrillic `а` in `pаypal`, per the Unicode Consortium's confusables data through
the `confusable-homoglyphs` package), a word wholly in another script that
passes for an ASCII one among Latin code (a Cyrillic `ехес`), combining marks stacked more than
`MAX_MARKS` deep on one character (which spill over neighbouring lines), in a
name (text shown without a tab size), the characters that make a word or path
component differ from its NFC form (`unnormalized`: an NFD `café` shows as
`cafe⟨U+0301⟩`, so two files whose names differ only by normalisation never
look the same; names in NFC, as nearly all are, lose nothing), and blank
look-alikes such as U+2800 and U+FFFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any


class Flag(StrEnum):
    CONTROL = "control"  # C0, DEL, C1: can drive a terminal
    BIDI = "bidi"  # reorders what is displayed (Trojan Source)
    INVISIBLE = "invisible"  # zero-width and format characters
    SEPARATOR = "separator"  # unusual spaces and line breaks
    SMUGGLING = "smuggling"  # variation selectors, tag characters
    INVALID = "invalid"  # bytes that are not UTF-8
    OTHER = "other"  # anything else unprintable: private use, unassigned
    LOOKALIKE = "lookalike"  # homoglyphs in mixed-script identifiers, blank look-alikes
    STACKED = "stacked"  # combining marks stacked more than MAX_MARKS deep


_NAMED: dict[int, tuple[str, Flag]] = {
    **{
        cp: (n, Flag.BIDI)
        for cp, n in [
            (0x202A, "LRE"),
            (0x202B, "RLE"),
            (0x202C, "PDF"),
            (0x202D, "LRO"),
            (0x202E, "RLO"),
            (0x2066, "LRI"),
            (0x2067, "RLI"),
            (0x2068, "FSI"),
            (0x2069, "PDI"),
            (0x200E, "LRM"),
            (0x200F, "RLM"),
            (0x061C, "ALM"),
        ]
    },  # fmt: skip
    **{
        cp: (n, Flag.INVISIBLE)
        for cp, n in [
            (0x200B, "ZWSP"),
            (0x200C, "ZWNJ"),
            (0x200D, "ZWJ"),
            (0x2060, "WJ"),
            (0xFEFF, "BOM"),
            (0x00AD, "SHY"),
            (0x034F, "CGJ"),
            (0x180E, "MVS"),
            (0x2061, "FA"),
            (0x2062, "IT"),
            (0x2063, "IS"),
            (0x2064, "IP"),
            (0x115F, "HCF"),
            (0x1160, "HJF"),
            (0x3164, "HF"),
            (0xFFA0, "HWHF"),
        ]
    },  # fmt: skip
    **{
        cp: (n, Flag.SEPARATOR)
        for cp, n in [
            (0x0085, "NEL"),
            (0x2028, "LSEP"),
            (0x2029, "PSEP"),
            (0x00A0, "NBSP"),
        ]
    },  # fmt: skip
}

# Printable, but drawn as nothing or as a blank box: they hide like invisibles.
_BLANK_LOOKALIKES = frozenset({0x2800, 0xFFFC, 0x1D159})
# The tag brackets themselves: tagged wherever they stand in untrusted text, so a
# name spelling `cafe⟨U+0301⟩.c` never displays like the NFD `café.c` it imitates,
# and every display decodes to exactly one text (the display is one-to-one).
_DELIMITERS = frozenset({0x27E8, 0x27E9})
MAX_MARKS = 2  # combining marks on one character before they are tagged (ệ has 2)

# Everything that is not plainly safe: non-ASCII or ASCII controls. Safe text
# skips the per-character walk entirely (the hot path for source lines).
_SUSPECT = re.compile(r"[^\x20-\x7e]")


_TAGGABLE = re.compile(r"[^\t\n\x20-\x7e]")


def plain(text: str) -> bool:
    """True when `sanitize` would tag nothing in `text` apart from tabs and line
    breaks: printable ASCII. A fast test that lets callers skip the per-part walk."""
    return not _TAGGABLE.search(text)


def classify(ch: str) -> tuple[str, Flag] | None:
    """The tag and class for a code point that must not be shown raw, else None."""
    cp = ord(ch)
    if cp in _NAMED:
        return _NAMED[cp]
    if cp in _DELIMITERS:  # literal tag text must not read as a tag
        return f"U+{cp:04X}", Flag.LOOKALIKE
    if cp < 0x20 or cp == 0x7F:
        return f"x{cp:02X}", Flag.CONTROL
    if 0x80 <= cp <= 0x9F:  # `xNN` from 0x80 up is a byte that is not UTF-8
        return f"U+{cp:04X}", Flag.CONTROL
    if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"x{cp - 0xDC00:02X}", Flag.INVALID
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return f"VS{cp:X}", Flag.SMUGGLING
    if 0xE0000 <= cp <= 0xE007F:
        return f"TAG{cp:X}", Flag.SMUGGLING
    if not ch.isprintable():  # Cc Cf Cs Co Cn Zl Zp, and Zs other than space
        return f"U+{cp:04X}", Flag.SEPARATOR if ch.isspace() else Flag.OTHER
    if cp in _BLANK_LOOKALIKES:
        return f"U+{cp:04X}", Flag.LOOKALIKE
    return None


_WORD = re.compile(r"\w{2,}")  # identifiers (one letter alone mixes no scripts)
_NEUTRAL = ("COMMON", "INHERITED")  # digits, `_`, marks: of no script of their own


@cache
def _confusables() -> Any:
    """The confusables data (Unicode's confusables.txt and Scripts.txt, shipped by
    the pinned `confusable-homoglyphs`): loaded on first need, ~30 ms."""
    from confusable_homoglyphs import categories, confusables

    return categories, confusables


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ANY_WORD = re.compile(r"\w+")


def _passes_for_latin(word: str) -> bool:
    """Every letter of `word` (of one script, not Latin) has an ASCII look-alike in
    the confusables data: the word could be read as a Latin one (TR39's whole-script
    confusable, narrowed to what an ASCII source file would hold)."""
    _, confusables = _confusables()
    found = confusables.is_confusable(word, greedy=True, preferred_aliases=["latin"]) or ()
    ascii_like = {
        f["character"]
        for f in found
        if any(len(h["c"]) == 1 and _ASCII_LETTER.match(h["c"]) for h in f["homoglyphs"])
    }
    categories, _ = _confusables()
    return all(c in ascii_like for c in word if categories.alias(c) not in _NEUTRAL)


def _alone_among_latin(
    text: str, m: re.Match[str], script: str, lines: dict[int, tuple[bool, Counter[str]]]
) -> bool:
    """The word `m` (all in `script`) stands among Latin: its line holds ASCII
    letters and no other word with a letter of `script`. Several such words on a
    line are prose in that script (a comment, a string), not a disguised name."""
    start = text.rfind("\n", 0, m.start()) + 1
    if start not in lines:
        end = text.find("\n", m.end())
        line = text[start : len(text) if end < 0 else end]
        categories, _ = _confusables()
        per_word: Counter[str] = Counter()
        for w in _ANY_WORD.finditer(line):
            if not w.group().isascii():
                per_word.update({categories.alias(c) for c in w.group()} - set(_NEUTRAL))
        lines[start] = (bool(_ASCII_LETTER.search(line)), per_word)
    has_latin, per_word = lines[start]
    return has_latin and per_word[script] == 1


@cache
def script_of(ch: str) -> str:
    """The Unicode script alias of `ch` ("LATIN", "CYRILLIC", "COMMON", …), kept per
    character: the package's own lookup is a slow Python search."""
    categories, _ = _confusables()
    return str(categories.alias(ch))


@cache
def _is_mark(ch: str) -> bool:
    return bool(unicodedata.combining(ch)) or unicodedata.category(ch) == "Me"


_CHUNK = re.compile(r"[^\s/]+")  # a path component, or a word of a name


def unnormalized(text: str) -> dict[int, Flag]:
    """Indexes to tag in a name (a path, a reviewer, a query: text shown without a
    tab size): in each path component or word (`_CHUNK`) that is not in NFC, every
    character that may take part in what NFC changes (`_unstable`), so a name and
    its NFC twin, another file, never look alike. Names in NFC, as nearly all are in
    any script, lose nothing. Source lines are left to `lookalikes`: decomposed text
    is ordinary writing there, and an identifier is one of the words on its line."""
    out: dict[int, Flag] = {}
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return out
    for m in _CHUNK.finditer(text):
        if not unicodedata.is_normalized("NFC", m.group()):
            for k, c in enumerate(m.group()):
                if _unstable(c):
                    out[m.start() + k] = Flag.LOOKALIKE
    return out


def name_marks(text: str) -> dict[int, Flag]:
    """Indexes to tag in a name beyond `lookalikes`: `unnormalized`, and what
    passes for ASCII in a name whatever shares it (`_passes_for_ascii`: a `∕`
    for `/`, a `․` for `.`, a ligature `ﬁ`, a fullwidth `Ａ`), and each letter of a
    word wholly in one script other than Latin whose every letter passes for an
    ASCII one (a Cyrillic `аре`), even with no Latin beside it: a name is judged
    against every other name, not against its line. Other non-Latin words (most
    Cyrillic, Greek, any CJK) stay readable."""
    if text.isascii():
        return {}
    out = unnormalized(text)
    for m in _NON_ASCII.finditer(text):  # C speed over kilobytes of ASCII escapes
        if _passes_for_ascii(m.group()):
            out.setdefault(m.start(), Flag.LOOKALIKE)
    for m in _ANY_WORD.finditer(text):
        word = m.group()
        if word.isascii():
            continue
        scripts = [script_of(c) for c in word]
        counts = {a for a in scripts if a not in _NEUTRAL}
        if len(counts) == 1 and "LATIN" not in counts and _passes_for_latin(word):
            for k, alias in enumerate(scripts):
                if alias not in _NEUTRAL:
                    out.setdefault(m.start() + k, Flag.LOOKALIKE)
    return out


# Typographic punctuation this project's own messages wrap untrusted values in
# (“name”, «fragment», a cut…): each is drawn unlike its ASCII look-alike (curly,
# or one cell for three), and tagging it made every such message unreadable.
_OWN_PUNCTUATION = frozenset("\u2018\u2019\u201c\u201d\u2026\u00ab\u00bb")


@cache
def _passes_for_ascii(ch: str) -> bool:
    """`ch` (not ASCII, of Latin or of no script) is drawn like ASCII text: its
    compatibility form is ASCII, or the confusables data gives it an ASCII
    look-alike. Letters of other scripts are judged a word at a time instead."""
    if script_of(ch) not in ("LATIN", *_NEUTRAL) or ch in _OWN_PUNCTUATION:
        return False
    if unicodedata.normalize("NFKC", ch).isascii():
        return True
    _, confusables = _confusables()
    found = confusables.is_confusable(ch, greedy=True, preferred_aliases=[]) or ()
    return any(h["c"].isascii() for f in found for h in f["homoglyphs"])


@cache
def _unstable(ch: str) -> bool:
    """`ch` may take part in what NFC changes: a mark (which composes with what it
    follows, or reorders), a Hangul vowel or final jamo (which compose into a
    syllable), or a character NFC replaces (U+212B ANGSTROM SIGN, U+0958)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch)[0] == "M"
        or 0x1160 <= cp <= 0x11FF
        or 0xD7B0 <= cp <= 0xD7FF
        or not unicodedata.is_normalized("NFC", ch)
    )


@lru_cache(maxsize=1 << 16)
def _confusable_letters(word: str, main: str) -> frozenset[str]:
    """The letters of `word` confusable with letters of script `main` (kept: the
    package's search is slow, and identifiers repeat)."""
    _, confusables = _confusables()
    found = confusables.is_confusable(word, greedy=True, preferred_aliases=[main.lower()])
    return frozenset(f["character"] for f in found or ())


def lookalikes(text: str) -> dict[int, Flag]:
    """Indexes of printable characters in `text` to tag for deceiving: in each word
    that mixes scripts, the characters of a minority script that are confusable with
    the main one (a tie counts Latin as the main script); each letter of a word
    written wholly in one other script whose every letter passes for an ASCII one,
    when it stands alone among Latin on its line (`_alone_among_latin`); and each
    combining mark of a run longer than MAX_MARKS. Only non-ASCII text can hold any."""
    out: dict[int, Flag] = {}
    if text.isascii():
        return out
    run = 0
    for i, ch in enumerate(text) if any(map(_is_mark, set(text))) else ():
        if _is_mark(ch):
            run += 1
            if run == MAX_MARKS + 1:
                out.update((j, Flag.STACKED) for j in range(i - MAX_MARKS, i + 1))
            elif run > MAX_MARKS + 1:
                out[i] = Flag.STACKED
        else:
            run = 0
    lines: dict[int, tuple[bool, Counter[str]]] = {}  # line start → its scripts, once
    for m in _WORD.finditer(text):
        word = m.group()
        if word.isascii():
            continue
        scripts = [script_of(c) for c in word]
        counts = Counter(a for a in scripts if a not in _NEUTRAL)
        if len(counts) == 1 and "LATIN" not in counts:
            (script,) = counts
            if _passes_for_latin(word) and _alone_among_latin(text, m, script, lines):
                for k, alias in enumerate(scripts):
                    if alias not in _NEUTRAL:
                        out.setdefault(m.start() + k, Flag.LOOKALIKE)
            continue
        if len(counts) < 2:
            continue
        main = max(counts, key=lambda a: (counts[a], a == "LATIN"))
        odd = _confusable_letters(word, main)
        for k, (c, alias) in enumerate(zip(word, scripts, strict=True)):
            if c in odd and alias != main and alias not in _NEUTRAL:
                out.setdefault(m.start() + k, Flag.LOOKALIKE)
    return out


@dataclass(frozen=True)
class Sanitized:
    """Display text plus where (in the display text) each tag stands."""

    text: str
    spans: tuple[tuple[int, int, Flag], ...] = ()
    counts: Counter[Flag] = field(default_factory=Counter)

    @property
    def flagged(self) -> bool:
        return bool(self.spans)


_TABS_ONLY = re.compile(r"[^\t\x20-\x7e]")


def expand_tabs(text: str, tab_size: int, col: int = 0) -> str:
    """`text` (printable ASCII and tabs) with each tab expanded to the next stop,
    counting from display column `col`."""
    lead = col % tab_size
    return (" " * lead + text).expandtabs(tab_size)[lead:] if "\t" in text else text


def sanitize(
    text: str,
    tab_size: int | None = None,
    col: int = 0,
    marks: Mapping[int, Flag] | None = None,
    at: int = 0,
    shown: bool = False,
) -> Sanitized:
    """Make `text` safe to display. With `tab_size`, a tab becomes spaces to the next
    stop (source lines), counted on the *display* text from column `col`, so a tag
    before a tab moves it as it is drawn, and a line drawn in pieces (tokens, match
    highlights) comes out exactly as if drawn whole; without it, a tab is tagged
    like any control (names). `marks` are `lookalikes` of the whole line when
    `text` is the piece of it starting at index `at` (default: of `text` itself),
    so a word cut into pieces is judged whole. `shown`: `text` is this function's
    own output (display cells handed on, session/display.py), whose brackets are
    its tags: they pass as they are, so drawing display text again changes
    nothing (anything else is still tagged)."""
    if marks is None:
        marks = lookalikes(text) if not text.isascii() else {}
        if tab_size is None:  # a name: its NFC twin must not look the same
            marks = name_marks(text) | marks
        at = 0
    end = at + len(text)
    mine = {i - at: f for i, f in marks.items() if at <= i < end} if marks else {}
    if not mine and not _SUSPECT.search(text):
        return Sanitized(text)
    if not mine and tab_size is not None and not _TABS_ONLY.search(text):
        return Sanitized(expand_tabs(text, tab_size, col))
    out: list[str] = []
    spans: list[tuple[int, int, Flag]] = []
    counts: Counter[Flag] = Counter()
    pos = 0
    for i, ch in enumerate(text):
        if ch == "\t" and tab_size is not None:
            n = tab_size - (col + pos) % tab_size
            out.append(" " * n)
            pos += n
            continue
        if shown and ord(ch) in _DELIMITERS:
            out.append(ch)
            pos += 1
            continue
        tag = classify(ch)
        if tag is None and i in mine:
            tag = (f"U+{ord(ch):04X}", mine[i])
        if tag is None:
            out.append(ch)
            pos += len(ch)
            continue
        drawn = f"⟨{tag[0]}⟩"
        out.append(drawn)
        spans.append((pos, pos + len(drawn), tag[1]))
        counts[tag[1]] += 1
        pos += len(drawn)
    return Sanitized("".join(out), tuple(spans), counts)


def clean(text: object, shown: bool = False) -> str:
    """Display form of any untrusted value, for one-line contexts (names, messages):
    `sanitize(value).text`, exactly. Where no character is tagged for where it
    stands (`lookalikes`), each tag depends on its code point alone, so the text is
    translated in one pass (C speed) instead of walked a character at a time: a
    path of kilobytes of escapes costs microseconds, not milliseconds (ADR 0306).
    `shown`: `text` is a message built from display text (names already through
    here): its brackets are tags and pass as they are (see `sanitize`)."""
    value = str(text)
    if not _SUSPECT.search(value):
        return value
    marks = None if value.isascii() else name_marks(value) | lookalikes(value)
    if marks:
        return sanitize(value, marks=marks, shown=shown).text
    tags = [(c, t) for c in set(value) if (t := _tag_text(c)) is not None]
    if shown:
        tags = [(c, t) for c, t in tags if ord(c) not in _DELIMITERS]
    if len(tags) > _REPLACES or any(ord(c) in _DELIMITERS for c, _ in tags):
        return value.translate({ord(c): t for c, t in tags})
    for c, t in tags:  # no tag holds a tagged character (brackets went above): final
        value = value.replace(c, t)
    return value


_REPLACES = 16  # distinct tagged characters up to which str.replace (memchr) beats translate


@lru_cache(maxsize=1 << 16)
def _tag_text(ch: str) -> str | None:
    """What `sanitize` shows for `ch` without a tab size, when it is tagged."""
    tag = classify(ch)
    return None if tag is None else f"⟨{tag[0]}⟩"


def decode(data: bytes) -> str:
    """Decode untrusted bytes, keeping each invalid byte visible to `sanitize`."""
    return data.decode("utf-8", errors="surrogateescape")
