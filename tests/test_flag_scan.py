"""The fast tag count of a large file (`session.flag_scan`) must agree, line for
line, with what `sanitize` draws: any difference would make the banner and the
`file_open` entry disagree with the screen."""

from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.sanitize import Flag, classify, decode, sanitize
from cleanroom.session.flag_scan import scan_content, scan_text
from cleanroom.session.source import scan_flags
from cleanroom.snapshot.blobs import facts, unpack_line_index


def by_line(data: bytes) -> tuple[dict[str, int], list[int]]:
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    return scan_flags(lines)


def fast(data: bytes) -> tuple[dict[str, int], list[int]]:
    counts, flagged = scan_content(data, unpack_line_index(facts(data).line_index))
    return counts, list(flagged)


HOSTILE = [
    b"",
    b"x",
    b"\n",
    b"\n\n\n",
    b"plain ascii only\n\twith a tab\n",
    b"no trailing newline \xe2\x80\xae",
    b"\xff\xfe invalid \xc3 utf-8 \xed\xa0\x80 surrogate\n",
    b"esc \x1b[2J and \r cr and \x7f del\n",
    "pаypal = 1  # Cyrillic а\nnaïve café\n".encode(),
    ("e" + "\u0301" * 12 + " stacked\n").encode(),
    "braille \u2800 blank \ufffc obj \ufdd0 nonchar \ufe0f vs\n".encode(),
    "\U000e0041 tag \u200b zwsp \u2028 ls \u00a0 nbsp\n".encode(),
    "ехес(cmd)  # Cyrillic look-alike word\n".encode(),
]


def test_hostile_inputs_count_as_sanitize_draws_them():
    for data in HOSTILE:
        assert fast(data) == by_line(data), data


def test_a_big_mixed_file_counts_the_same_across_chunk_borders():
    data = b"".join(HOSTILE * 3500)  # > 1 MB: several chunks, borders mid-file
    assert len(data) > 1 << 20
    counts, flagged = fast(data)
    assert (counts, flagged) == by_line(data)
    assert counts and flagged and isinstance(scan_content(data, array("I", [0]))[1], array)


def test_one_huge_line_is_scanned_whole():
    data = ("é" * 700_000 + "\u202e").encode()  # 1.4 MB, one line, no line feed
    assert fast(data) == ({"bidi": 1}, [1])


CODE_POINTS = [*range(0x3000), *range(0x3000, 0x110000, 61)]  # more than CLASS_MAX tagged


def test_code_points_are_counted_as_classify_tags_them():
    text = "\n".join(chr(cp) for cp in CODE_POINTS)
    counts, lines = scan_text(text)
    want: dict[Flag, int] = {}
    want_lines = []
    for n, cp in enumerate(CODE_POINTS):
        tag = classify(chr(cp)) if cp not in (9, 10) else None
        if tag is not None:
            want[tag[1]] = want.get(tag[1], 0) + 1
            want_lines.append(n if cp < 10 else n + 1)  # chr(10) is a line feed itself
    assert (dict(counts), lines) == (want, want_lines)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=30))
def test_any_text_counts_as_sanitize_draws_it(rows):
    text = "\n".join(rows)
    counts, lines = scan_text(text)
    want: dict[Flag, int] = {}
    want_lines = []
    for n, row in enumerate(text.split("\n")):
        drawn = sanitize(decode(row.encode("utf-8", "surrogatepass")), tab_size=4)
        if drawn.flagged:
            want_lines.append(n)
        for flag, k in drawn.counts.items():
            want[flag] = want.get(flag, 0) + k
    assert (dict(counts), lines) == (want, want_lines)
