"""The one sanitizer: nothing that can drive a terminal or hide from a reader survives."""

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.sanitize import Flag, classify, clean, decode, lookalikes, sanitize


@pytest.mark.parametrize(
    ("ch", "tag", "flag"),
    [
        ("\x1b", "x1B", Flag.CONTROL),
        ("\x07", "x07", Flag.CONTROL),
        ("\x00", "x00", Flag.CONTROL),
        ("\x7f", "x7F", Flag.CONTROL),
        ("\x9b", "U+009B", Flag.CONTROL),  # 8-bit CSI (`x9B` is the byte 0x9B, not UTF-8)
        ("\u202e", "RLO", Flag.BIDI),
        ("\u2066", "LRI", Flag.BIDI),
        ("\u2069", "PDI", Flag.BIDI),
        ("\u061c", "ALM", Flag.BIDI),
        ("\u200b", "ZWSP", Flag.INVISIBLE),
        ("\ufeff", "BOM", Flag.INVISIBLE),
        ("\u3164", "HF", Flag.INVISIBLE),
        ("\u2028", "LSEP", Flag.SEPARATOR),
        ("\u00a0", "NBSP", Flag.SEPARATOR),
        ("\ufe0f", "VSFE0F", Flag.SMUGGLING),
        ("\U000e0041", "TAGE0041", Flag.SMUGGLING),
        ("\udcff", "xFF", Flag.INVALID),
        ("\ue000", "U+E000", Flag.OTHER),
    ],
)
def test_classify_tags_each_dangerous_class(ch, tag, flag):
    assert classify(ch) == (tag, flag)


@pytest.mark.parametrize("ch", ["a", " ", "é", "漢", "→", "\U0001f600"])
def test_ordinary_characters_pass(ch):
    assert classify(ch) is None
    assert sanitize(ch).text == ch


def test_terminal_payload_is_neutralised():
    payload = "A\x1b]0;T\x07B\x1b]52;c;UFdO\x07C\x1b[2J\x9b31m \u202eRTL\u202c\u200b"
    out = sanitize(payload)
    assert "\x1b" not in out.text and "\x07" not in out.text and "\x9b" not in out.text
    assert "⟨RLO⟩" in out.text and "⟨ZWSP⟩" in out.text and "⟨x1B⟩]52;c;" in out.text
    assert out.counts[Flag.CONTROL] == 6 and out.counts[Flag.BIDI] == 2


def test_spans_point_at_the_tags():
    out = sanitize("a\u202eb")
    ((start, end, flag),) = out.spans
    assert out.text[start:end] == "⟨RLO⟩" and flag is Flag.BIDI


def test_tabs_expand_for_source_but_are_tagged_in_names():
    assert sanitize("\tx", tab_size=4).text == "    x"
    assert sanitize("a\tx").text == "a⟨x09⟩x"
    assert clean("evil\nname") == "evil⟨x0A⟩name"


def test_invalid_utf8_stays_visible_byte_by_byte():
    assert sanitize(decode(b"ok\xff\xc3")).text == "ok⟨xFF⟩⟨xC3⟩"


@settings(deadline=None)  # no timed assertion: the first call loads the confusables
@given(st.text(alphabet=st.characters(codec=None)))
def test_output_is_always_printable(text):
    shown = sanitize(text).text
    bad = [c for c in shown if not c.isprintable() or unicodedata.category(c) == "Cf"]
    assert bad == []


@settings(deadline=None)  # no timed assertion: the first call loads the confusables
@given(st.text(alphabet=st.characters(codec=None)))
def test_plain_means_nothing_would_be_tagged(text):
    from cleanroom.sanitize import plain

    one_line = text.replace("\t", " ").replace("\n", " ")
    if plain(text):  # the fast path may be taken only when the walk would change nothing
        assert sanitize(one_line).text == one_line
    if sanitize(one_line).text != one_line:
        assert not plain(text)


# -- characters that deceive while printable -----------------------------------------


@pytest.mark.parametrize(
    "text, tagged",
    [
        ("p\u0430ypal = 1", ["U+0430"]),  # Cyrillic а among Latin letters
        ("\u0440\u0430\u0443\u0440\u0430l", ["U+006C"]),  # the Latin l is the odd one
        ("g\u03bfogle", ["U+03BF"]),  # Greek omicron
        ("e\u0301\u0302\u0303x", ["U+0301", "U+0302", "U+0303"]),  # stacked marks
        ("a\u2800b", ["U+2800"]),
        ("obj \ufffc", ["U+FFFC"]),
        ("x\U0001d159y", ["U+1D159"]),
    ],
)
def test_deceiving_printable_characters_are_tagged(text, tagged):
    result = sanitize(text)
    assert re.findall(r"⟨(U\+[0-9A-F]+)⟩", result.text) == tagged
    assert set(result.counts) <= {Flag.LOOKALIKE, Flag.STACKED} and result.flagged


@pytest.mark.parametrize(
    "text",
    [
        "\u041f\u0440\u0438\u0432\u0435\u0442 world",  # one script per word
        "na\u00efve caf\u00e9 \u00fcber",  # Latin with diacritics
        "e\u0323\u0302",  # two marks (ệ decomposed) is ordinary writing
        "\u03b1\u03b2\u03b3_1 = \u0394x",  # Greek with digits and _
        "foo\u0416",  # another script, but nothing it could pass for
        "\u65e5\u672c\u8a9e",
    ],
)
def test_ordinary_non_ascii_is_left_alone(text):
    assert sanitize(text, tab_size=4).text == text  # in source
    if unicodedata.is_normalized("NFC", text):  # as a name: unless its NFC twin differs
        assert sanitize(text).text == clean(text) == text
    else:
        assert sanitize(text).text == clean(text) == "e⟨U+0323⟩⟨U+0302⟩"


def test_a_word_cut_into_pieces_is_judged_whole():
    text = "us\u0435r = 1"
    marks = lookalikes(text)
    assert marks == {2: Flag.LOOKALIKE}
    pieces = [sanitize(p, None, 0, marks, at).text for p, at in [("us", 0), ("\u0435r = 1", 2)]]
    assert "".join(pieces) == sanitize(text).text == "us⟨U+0435⟩r = 1"
    assert sanitize("\u0435", None, 0, {}, 0).text == "\u0435"  # alone, nothing mixed


def test_a_huge_line_of_mixed_words_is_quick():
    import time

    text = "p\u0430ypal " * 20_000
    start = time.perf_counter()
    result = sanitize(text)
    assert result.counts[Flag.LOOKALIKE] == 20_000
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    "text, tagged",
    [
        ("if \u0435\u0445\u0435\u0441(x): run()", 4),  # Cyrillic "exec", all of it
        ("def \u0441\u043e\u0440\u0443(a): pass", 4),  # Cyrillic "copy"
        ("\u0422\u0415\u0425 = x", 3),  # capitals: "TEX"
        ("\u0441\u043e\u0440\u0443.py", 4),  # a file name
        ("x = \u03bf\u03c1 + y", 2),  # Greek "op"
        ("\u0430\u0441\u0435_1 = a", 3),  # with `_` and a digit: "ace_1"
    ],
)
def test_a_word_wholly_in_another_script_that_passes_for_latin_is_tagged(text, tagged):
    """TR39's whole-script confusable, among Latin code: every letter is tagged."""
    result = sanitize(text)
    assert result.counts[Flag.LOOKALIKE] == tagged, result.text
    assert set(result.counts) == {Flag.LOOKALIKE}


@pytest.mark.parametrize(
    "text",
    [
        "x = 1  # \u041d\u0435 \u0442\u0440\u043e\u0433\u0430\u0442\u044c",  # "Не трогать": prose
        '\u0422\u0415\u0425 = "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440"',  # prose
        "\u0441\u043e",  # no Latin on its line: nothing to pass for
        "\u043a\u043e\u0434 = 1",  # "код": к has no ASCII look-alike
        "\u03ba\u03bf\u03c4 = 1",  # Greek "κοτ": τ has none either
        'log("\u0441\u043e \u0441\u043e")',  # two words of that script: prose
    ],
)
def test_words_of_another_script_in_prose_or_unlike_latin_are_left_alone(text):
    """In source lines (a tab size): a name is judged strictly (test_sanitize_onetoone)."""
    assert sanitize(text, tab_size=4).text == text


def test_whole_script_words_are_judged_per_line():
    text = "y = 1  # \u0441\u043e \u0441\u043e\nif \u0435\u0445\u0435\u0441: y\n"
    marks = lookalikes(text)
    line2 = text.index("if ") + 3
    assert sorted(marks) == [line2, line2 + 1, line2 + 2, line2 + 3]


def test_a_huge_text_of_whole_script_words_is_quick():
    """A guard against quadratic work, on CPU time (wall time stretched past the
    bound on a machine at load 12, with no change in the work)."""
    import time

    start = time.process_time()
    prose = sanitize("\u0435\u0445\u0435\u0441 " * 20_000 + "x", 4)  # one source line: prose
    names = lookalikes("\u0435\u0445\u0435\u0441 = x\n" * 20_000)  # a name on each line
    assert prose.counts[Flag.LOOKALIKE] == 0 and len(names) == 80_000
    assert time.process_time() - start < 5


@settings(deadline=None)  # no timed assertion: the first call loads the confusables
@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_clean_is_exactly_the_sanitized_text(text):
    # clean() translates in one pass where sanitize() walks: the same text, always
    assert clean(text) == sanitize(text).text


@pytest.mark.parametrize(
    "text",
    ["", "\x1b", "a\tb", "\udc9b\x9b", "pаypal\x1b", "e\u0301\u0302\u0303\x00", "\u202e\u2800x"],
)
def test_clean_is_exactly_the_sanitized_text_on_edges(text):
    assert clean(text) == sanitize(text).text


_NORMALISABLE = st.sampled_from(
    ["a", "e", "o", "A", "/", " ", "é", "Å", "\u212b", "\u0301", "\u0323", "\u0302", "\u0308",
     "\u1112", "\u1161", "\u11ab", "\ud55c", "\u0958", "\u0915", "\u093c", "\u3099", "\u304b"]
)  # fmt: skip


@settings(deadline=None)
@given(st.lists(_NORMALISABLE, max_size=12).map("".join))
def test_a_name_never_looks_like_its_nfc_twin(text):
    twin = unicodedata.normalize("NFC", text)
    if twin != text:
        assert clean(text) != clean(twin)
        assert sanitize(text).text != sanitize(twin).text


@pytest.mark.parametrize(
    "text, shown",
    [
        ("src/cafe\u0301.c", "src/cafe⟨U+0301⟩.c"),  # NFD: the mark is named
        ("src/caf\u00e9.c", "src/caf\u00e9.c"),  # NFC: as it is
        ("\u212b.c", "⟨U+212B⟩.c"),  # ANGSTROM SIGN, which NFC replaces by Å
        ("cafe\u0301/caf\u00e9", "cafe⟨U+0301⟩/caf\u00e9"),  # judged per component
        ("\u0939\u093f\u0928\u094d\u0926\u0940",) * 2,  # Hindi, NFC: as it is
        ("\ud55c\uad6d\uc5b4.txt", "\ud55c\uad6d\uc5b4.txt"),  # Korean, NFC
        ("\u1112\u1161\u11ab.txt", "\u1112⟨U+1161⟩⟨U+11AB⟩.txt"),  # the same syllable, NFD
    ],
)
def test_what_nfc_would_change_is_tagged_and_only_that(text, shown):
    assert clean(text) == shown == sanitize(text).text
