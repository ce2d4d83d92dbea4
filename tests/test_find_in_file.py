"""Find in one file, the core (session/find_in_file.py, session/span_cells.py):
which lines hold a literal query, and where each match is drawn."""

import pytest

from cleanroom.session.display import MAX_LINE_BYTES, display_line
from cleanroom.session.document import BytesDocument
from cleanroom.session.find_in_file import MAX_FIND_LINES, MAX_QUERY_BYTES, find_in
from cleanroom.session.span_cells import span_cells


def doc(data: bytes) -> BytesDocument:
    return BytesDocument(data, b"f.c", "ab" * 32)


def drawn_at(raw: bytes, cells: tuple[int, int]) -> str:
    """The display text in cells (start, end) of a line (one cell a character here)."""
    return display_line(raw)[cells[0] : cells[1]]


@pytest.mark.parametrize("data", [b"", b"x", b"\n", b"\n\n\n", b"\x00\x01\x02"])
def test_boring_files_find_nothing(data):
    hits = find_in(doc(data), "needle", case=False)
    assert (hits.lines, hits.cells, hits.total) == ([], [], 0)


def test_one_byte_file_and_no_trailing_newline():
    assert find_in(doc(b"x"), "x", case=True).lines == [1]
    hits = find_in(doc(b"a\nb\nlast needle"), "needle", case=True)
    assert hits.lines == [3] and hits.cells == [[(5, 11)]]


def test_case_folds_ascii_only_unless_asked():
    data = b"Needle\nneedle\nNEEDLE\n\xc3\x89t\xc3\xa9\n"
    assert find_in(doc(data), "needle", case=False).lines == [1, 2, 3]
    assert find_in(doc(data), "needle", case=True).lines == [2]
    assert find_in(doc(data), "ÉTÉ", case=False).lines == []  # not ASCII: exact only
    assert find_in(doc(data), "Été", case=False).lines == [4]


def test_matches_sit_where_they_are_drawn_after_tabs_tags_and_wide_characters():
    lines = [
        b"\tneedle",  # a tab widens to 4 cells
        b"\x1b[2Jneedle",  # an escape is drawn as its tag
        "中文 needle".encode(),  # wide characters take two cells
        b"\xff\xfeneedle",  # invalid UTF-8 is drawn as tags
        "\u202eneedle".encode(),  # a bidi override too
    ]
    hits = find_in(doc(b"\n".join(lines)), "needle", case=True)
    assert hits.lines == [1, 2, 3, 4, 5]
    for raw, cells in zip(lines, hits.cells, strict=True):
        ((start, end),) = cells
        shown = display_line(raw)
        if raw.startswith("中".encode()):
            assert (start, end) == (5, 11)  # 2 + 2 + 1 cells before it
        else:
            assert shown[start:end] == "needle", (raw, shown, cells)


def test_every_match_of_a_line_and_overlaps_do_not_double():
    hits = find_in(doc(b"aaaa aa"), "aa", case=True)
    assert hits.cells == [[(0, 2), (2, 4), (5, 7)]]


def test_a_match_past_the_drawn_cut_is_not_marked():
    raw = b"x" * (MAX_LINE_BYTES + 10) + b"needle"
    hits = find_in(doc(raw), "needle", case=True)
    assert hits.lines == [1] and hits.cells == [[]]  # the line is found; nothing drawn marks
    assert span_cells(raw, [(MAX_LINE_BYTES - 2, MAX_LINE_BYTES + 4)]) == [
        (MAX_LINE_BYTES - 2, MAX_LINE_BYTES)
    ]


def test_huge_files_keep_positions_of_the_first_lines_and_count_all():
    data = b"needle\n" * (MAX_FIND_LINES + 5)
    hits = find_in(doc(data), "needle", case=True)
    assert len(hits.lines) == MAX_FIND_LINES and hits.total == MAX_FIND_LINES + 5
    assert hits.lines[-1] == MAX_FIND_LINES


@pytest.mark.parametrize("query", ["", "x" * (MAX_QUERY_BYTES + 1), "é" * 129])
def test_empty_and_oversized_queries_are_refused(query):
    with pytest.raises(ValueError):
        find_in(doc(b"x"), query, case=True)


def test_crlf_lines_match_without_their_cr():
    hits = find_in(doc(b"one\r\ntwo needle\r\n"), "needle", case=True)
    assert hits.lines == [2] and drawn_at(b"two needle", hits.cells[0][0]) == "needle"
