"""`{` / `}` (issue 15): the line a paragraph move goes to, as vim's `findpar`
finds it, on boring inputs and against a plain model over random files. Found
where the signed text is (session/paragraph.py), never in the terminal."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanroom.session import paragraph
from cleanroom.session.document import BytesDocument
from cleanroom.session.paragraph import BATCH, paragraph_line


def doc(data: bytes) -> BytesDocument:
    return BytesDocument(data, b"f.txt")


def model(lines: list[bytes], line: int, forward: bool) -> int:
    """vim: step from `line`; stop at an empty line reached after a non-empty one."""
    step = 1 if forward else -1
    seen = False
    at = line
    while 1 <= at <= len(lines):
        if lines[at - 1]:
            seen = True
        elif seen and at != line:
            return at
        at += step
    return len(lines) if forward else 1


TEXT = b"a\nb\n\nc\n\n\nd\ne\n"  # lines: a b _ c _ _ d e


@pytest.mark.parametrize(
    ("line", "forward", "expected"),
    [
        (1, True, 3),  # the first empty line below
        (3, True, 5),  # from an empty line: past the next paragraph
        (4, True, 5),
        (5, True, 8),  # a run of empty lines is crossed, not stopped in: the last line
        (6, True, 8),
        (8, True, 8),  # the last line: stays
        (8, False, 6),  # the nearest empty line above
        (6, False, 3),  # from an empty run: over the paragraph above
        (5, False, 3),
        (3, False, 1),
        (1, False, 1),
    ],
)
def test_vim_paragraph_moves(line, forward, expected):
    assert paragraph_line(doc(TEXT), line, forward) == expected


@pytest.mark.parametrize("data", [b"", b"x", b"x\n", b"\n", b"\n\n\n", b"\r\n\r\n"])
@pytest.mark.parametrize("forward", [True, False])
def test_boring_files(data, forward):
    d = doc(data)
    target = paragraph_line(d, 1, forward)
    assert 1 <= target <= max(1, d.line_count)
    if d.line_count <= 1:
        assert target == 1


def test_crlf_and_spaces():
    d = doc(b"a\r\n\r\nb\r\n \r\nc\r\n")  # `\r\n` alone is empty; a space is not (vim)
    assert paragraph_line(d, 1, True) == 2
    assert paragraph_line(d, 2, True) == 5


@pytest.mark.parametrize("line", [0, -1, 9, 10**9])
def test_a_line_out_of_the_file_is_refused(line):
    with pytest.raises(ValueError, match="line"):
        paragraph_line(doc(TEXT), line, True)


def test_across_batches():
    lines = [b"x"] * (3 * BATCH + 5)
    lines[2 * BATCH + 7] = b""
    d = doc(b"\n".join(lines) + b"\n")
    assert paragraph_line(d, 1, True) == 2 * BATCH + 8
    assert paragraph_line(d, len(lines), False) == 2 * BATCH + 8
    assert paragraph_line(d, 2 * BATCH + 8, True) == len(lines)


@given(
    st.lists(st.sampled_from([b"", b"a", b" ", b"\r"]), min_size=1, max_size=40),
    st.data(),
    st.booleans(),
)
def test_matches_the_model(lines, data, forward):
    d = doc(b"\n".join(lines) + b"\n")
    shown = d.lines(0, d.line_count)
    line = data.draw(st.integers(1, d.line_count))
    assert paragraph_line(d, line, forward) == model(shown, line, forward)


@given(
    st.lists(st.sampled_from([b"", b"", b"a", b" "]), min_size=1, max_size=40),
    st.data(),
    st.booleans(),
    st.integers(1, 5),
)
def test_matches_the_model_across_small_batches(lines, data, forward, batch):
    d = doc(b"\n".join(lines) + b"\n")
    shown = d.lines(0, d.line_count)
    line = data.draw(st.integers(1, d.line_count))
    kept, paragraph.BATCH = paragraph.BATCH, batch  # a batch edge anywhere
    try:
        got = paragraph_line(d, line, forward)
    finally:
        paragraph.BATCH = kept
    assert got == model(shown, line, forward)
