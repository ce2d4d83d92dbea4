"""Normalisation, the same for notes and for source (docs/notes-release.md §1, ADR 0410).

1. **Invisible characters are dropped** (`strip`): every Default_Ignorable_Code_Point
   (DerivedCoreProperties, Unicode 14 to 16: ZWSP, ZWNJ, ZWJ, soft hyphen, word
   joiner, U+FEFF, variation selectors, bidi controls, tag characters and the
   reserved ranges the property names), every format character (Cf: also U+0600
   to U+0605, U+06DD, U+070F, U+0890, U+0891, U+08E2, U+110BD, U+110CD, U+13430 to
   U+1343F, U+FFF9 to U+FFFB) and every control character (Cc) that is not
   whitespace, so a quote with them inserted still matches the source it came
   from, and source that holds them matches a quote without them.
2. **Blanks that are not whitespace become spaces**: the Hangul fillers (U+115F,
   U+1160, U+3164, U+FFA0, default-ignorable but drawn as a blank of some width)
   and U+2800 BRAILLE PATTERN BLANK, the characters a text can use where a space
   looks to be.
3. **Every run of whitespace** (as `str.split` sees it: spaces, tabs, line breaks
   and the Unicode spaces) becomes one space, and the ends are stripped, so a quote
   re-indented or re-wrapped in a note still matches.

Nothing else changes: case, punctuation and every other character count. Text of
ASCII characters other than controls (most source) is untouched by 1 and 2.

`VERSION` names these rules: whatever is precomputed from normalised source (the
name table and word-pair filter, `names.FORMAT`) is keyed on it, so a cache made
under other rules is never used.
"""

from __future__ import annotations

import re

VERSION = 2  # 1: whitespace only (ADR 0402-0408); 2: invisible characters, blanks (ADR 0410)

# (first, last) code points, inclusive
DROPPED: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0008),  # Cc (0x09-0x0D, 0x1C-0x1F and 0x85 are whitespace)
    (0x000E, 0x001B),
    (0x007F, 0x0084),
    (0x0086, 0x009F),
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x0600, 0x0605),  # Cf: Arabic number signs
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors, vowel separator
    (0x200B, 0x200F),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE (BOM)
    (0xFFF0, 0xFFFB),  # reserved (default ignorable), interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol beams and phrases
    (0xE0000, 0xE0FFF),  # tags, variation selectors 17-256, reserved
)
BLANKS: tuple[int, ...] = (0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


_DROP = re.compile(f"[{_class(DROPPED)}]+")
_BLANK = re.compile(f"[{_class(tuple((c, c) for c in BLANKS))}]")
_EITHER = re.compile(f"[{_class(DROPPED)}{_class(tuple((c, c) for c in BLANKS))}]")
# a dropped run with a character on either side that is not whitespace: where the
# normalised text joins what the raw text separates (`spliced`)
_JOIN = re.compile(
    f"[^\\s{_class(DROPPED)}{_class(tuple((c, c) for c in BLANKS))}][{_class(DROPPED)}]+"
    f"[^\\s{_class(DROPPED)}{_class(tuple((c, c) for c in BLANKS))}]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")  # the ASCII characters dropped
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1b\x7f]")
_WORD = re.compile(r"\S+")


def strip(text: str) -> str:
    """`text` with invisible characters dropped and blanks made spaces (rules 1, 2);
    line breaks and every other character kept, so its lines are its lines."""
    # isascii is a flag of the string: most text is checked by the small class alone
    if (_CONTROL if text.isascii() else _EITHER).search(text) is None:
        return text
    return _BLANK.sub(" ", _DROP.sub("", text))


def normalise(text: str) -> str:
    # str.split and the regex's \s agree on whitespace (both Py_UNICODE_ISSPACE);
    # split is the faster of the two on large blobs.
    return " ".join(strip(text).split())


def plain(content: bytes) -> bool:
    """Whether `strip` leaves the text of these bytes as it is: all ASCII, and no
    control byte but whitespace. Such text's normalised words are its raw bytes'
    runs of non-whitespace (`rawmatch.py`, ADR 0405)."""
    return content.isascii() and _CONTROL_BYTES.search(content) is None


def spliced(text: str) -> bool:
    """Whether normalising `text` joins two characters its raw form keeps apart (a
    dropped character between two that are not whitespace): its normalised words
    are then not all substrings of its raw text, which the trigram index and the
    raw-byte tests read (ADR 0410)."""
    return _JOIN.search(text) is not None


def words(normal: str) -> list[tuple[int, int]]:
    """(start, end) of each whitespace-free run of a normalised text."""
    return [m.span() for m in _WORD.finditer(normal)]
