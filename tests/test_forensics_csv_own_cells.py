"""The CSV writer puts the cells it makes itself (an entry's time, a view's dwell)
in through `own`, which skips the sanitizer and the formula guard where they
change nothing (issue 14: a tenth of a 100k-entry CSV report's CPU): `own` is
`cell` for every time, every dwell and any other text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.forensics.report_csv import cell, own
from cleanroom.forensics.timeline import timestamp

CORNERS = [0, -1, 1, -(2**63), 2**63 - 1, 2**64, -(2**64), 253_402_300_799_999_999, 10**20]


@given(st.one_of(st.integers(), st.sampled_from(CORNERS)))
@settings(max_examples=300, deadline=None)
def test_a_time_needs_no_guard(wall_us):
    text = timestamp(wall_us)
    assert own(text) == cell(text)


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
@settings(max_examples=300, deadline=None)
def test_a_dwell_needs_no_guard(us):
    text = f"{us / 1e6:.3f}"  # as report_csv makes it
    assert own(text) == cell(text)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_any_other_text_is_guarded_as_before(text):
    assert own(text) == cell(text)


def test_boring_texts():
    for text in (None, "", "0", "1,=2", "1;-2", "9\u202e", "-1.000", "1\t"):
        assert own(text) == cell(text)
