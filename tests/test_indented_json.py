"""indented_json.dumps is json.dumps(ensure_ascii=True, indent=1), byte for byte:
who-viewed's --json output must not change by a byte, whatever the names in it."""

from __future__ import annotations

import enum
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.forensics.indented_json import dumps


def reference(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, indent=1)


# Hostile text: every code point, lone surrogates (surrogateescape names), controls,
# quotes, backslashes and line separators.
hostile = st.lists(
    st.one_of(
        st.characters(codec=None, categories=None),
        st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\u2028",
                         "\udcff", "\ud800", "\U0001f600", "/", "<"]),
        st.just("</script>"),
    )
).map("".join)  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(hostile, inner, max_size=5),
        st.dictionaries(
            st.one_of(st.integers(), st.booleans(), st.none(), st.floats()), inner, max_size=3
        ),  # fmt: skip
    ),
    max_leaves=40,
)


@given(values)
@settings(max_examples=200, deadline=None)
def test_same_bytes_as_json_dumps(value: object) -> None:
    assert dumps(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        0,
        [],
        {},
        [[]],
        {"a": {}},
        [[], {}, [[]]],
        {"path": "\udcff\udcfe", "path_b64": "//4="},
        {"lines": [1, 2, 3], "ranges": [[1, 2]], "none": None, "ok": True},
        [math.nan, math.inf, -math.inf, -0.0, 1e300],
        {2: "int key", True: "bool key", None: "none key", 2.5: "float key"},
    ],
)
def test_boring_and_corner_values(value: object) -> None:
    assert dumps(value) == reference(value)


class Level(enum.IntEnum):
    LOW = 1


class Name(str):
    pass


def test_subclasses_as_json_writes_them() -> None:
    value = {Name("k"): [Level.LOW, Name("v\udcff"), True], Level.LOW: 1.5}
    assert dumps(value) == reference(value)


def test_other_types_refused_as_json_refuses_them() -> None:
    for bad in ({"a": {1, 2}}, [b"bytes"], {("tuple", "key"): 1}):
        with pytest.raises(TypeError):
            reference(bad)
        with pytest.raises(TypeError):
            dumps(bad)
