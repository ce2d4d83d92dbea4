"""ctags's answer read as rows (snapshot/symbols/ctags.py `_rows`, ADR 0127): the
fast check of the common row keeps exactly the rows `rows.row_problem` keeps, on
any bytes ctags could write, and a line that is not a tag is ignored."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.snapshot.symbols.ctags import _rows
from cleanroom.snapshot.symbols.rows import SIMPLE_NAME, name_problem, row_problem

CONTENT = b"int main(void)\n#define A_B 1\n\xff\xfe weird \xc3\xa9t\xc3\xa9\n" + b"x" * 300 + b"\n"
NAMES = st.one_of(
    st.sampled_from([b"main", b"A_B", b"", b"x" * 200, b"x" * 201, b"\xc3\xa9t\xc3\xa9",
                     b"\xff\xfe", b"we ird", b"a\x1bb", b"\xc2\xa0", b"weird", b"int"]),
    st.binary(max_size=8).filter(lambda b: b"\t" not in b and b"\n" not in b),
)  # fmt: skip
KINDS = st.sampled_from([b"function", b"macro", b"", b"Function", b"k" * 33, b"k" * 32,
                         b"f1", b"\xc3\xa9"])  # fmt: skip
LINES = st.sampled_from([b"0", b"1", b"2", b"3", b"4", b"5", b"99", b"-1", b"x"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(NAMES, LINES, KINDS), max_size=12))
def test_the_rows_kept_are_the_rows_row_problem_keeps(tags):
    out = b"\n".join(b"%s\t7\t%s\t%s" % (n, line, k) for n, line, k in tags) + b"\n"
    lines = CONTENT.split(b"\n")
    expected = []
    for name, number, kind in tags:
        if not number.isdigit():
            continue
        line = int(number) - 1
        text = lines[line] if 0 <= line < len(lines) else None
        if row_problem(name, kind, line, text) is None:
            expected.append((7, line, name.decode(), kind.decode()))
    assert _rows(out, {7: CONTENT}) == expected


@given(st.binary(max_size=210))
def test_a_simple_name_has_no_problem(name):
    if SIMPLE_NAME.fullmatch(name):
        assert name_problem(name) is None


def test_lines_that_are_not_tags_and_files_not_asked_for_are_ignored():
    out = (b"main\t7\t1\tfunction\n"  # kept
           b"main\t7\t1\n"  # three fields
           b"main\t7\t1\tfunction\textra\n"  # five
           b"main\tx7\t1\tfunction\n"  # not a rowid
           b"main\t8\t1\tfunction\n"  # a file ctags was not given
           b"\n")  # fmt: skip
    assert _rows(out, {7: CONTENT}) == [(7, 0, "main", "function")]
    assert _rows(b"", {7: CONTENT}) == [] and _rows(b"main\t7\t1\tfunction", {7: b""}) == []
