"""The fast canonicity proof (encoding.canonical_object, orjson) against the
slow one it shortcuts (json or rfc8785, parse_canonical's own path): wherever the
fast path decides, it decides as the slow path does (ledger-format §3.1, ADR 0006)."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.ledger import encoding
from cleanroom.ledger.encoding import MAX_SAFE_INT, EncodingError, canonical_object
from tests.spec_cases import CANONICAL_CORNERS, NOT_CANONICAL


def slow(data: bytes) -> object:
    """parse_canonical without its fast path: the value, or the EncodingError."""
    saved = encoding.canonical_object
    encoding.canonical_object = lambda _: None  # type: ignore[assignment]
    try:
        return encoding.parse_canonical(data)
    except EncodingError as exc:
        return exc
    finally:
        encoding.canonical_object = saved


def agrees(data: bytes) -> None:
    fast = canonical_object(data)
    reference = slow(data)
    if fast is not None:
        assert not isinstance(reference, EncodingError), (data, reference)
        assert fast == reference and type(fast) is dict
        assert encoding.parse_canonical(data) == reference


@pytest.mark.parametrize("name", sorted(CANONICAL_CORNERS))
def test_canonical_corners_are_accepted_by_both(name: str) -> None:
    data = CANONICAL_CORNERS[name].encode()
    assert rfc8785.dumps(json.loads(data)) == data  # the vector is truly canonical
    assert not isinstance(slow(data), EncodingError)
    assert encoding.parse_canonical(data) == json.loads(data)
    agrees(data)


@pytest.mark.parametrize("name", sorted(NOT_CANONICAL))
def test_other_spellings_are_refused_by_both(name: str) -> None:
    data = NOT_CANONICAL[name].encode()
    assert canonical_object(data) is None
    assert isinstance(slow(data), EncodingError)
    with pytest.raises(EncodingError):
        encoding.parse_canonical(data)


def test_the_fast_path_decides_the_common_payloads() -> None:
    """It must actually run: a view's payload, non-ASCII below U+E000 included."""
    for data in (
        b'{"blob":"' + b"ab" * 32 + b'","first":1,"last":41}',
        '{"path":"src/caf\u00e9.c","q":"\u0436"}'.encode(),
        b'{"a":[1,{"b":null}],"c":true,"d":-9007199254740991}',
        b"{}",
        b'{"a":' + b"[" * 31 + b"]" * 31 + b"}",  # exactly the depth limit
        b'{"q":"' + b"{[" * 40 + b'"}',  # brackets in a string are not nesting
    ):
        assert canonical_object(data) == json.loads(data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":"\\u001f"}',  # orjson and RFC 8785 escape alike; still checked below
        '{"\uffff":1}'.encode(),  # U+E000 and above: undecided, the slow path decides
        '{"\U0001f600":1}'.encode(),
        b'{"a":' + b"[" * 32 + b"]" * 32 + b"}",  # over the depth limit: undecided
        b'{"a":9007199254740992}',
        b'{"a":1.5}',
        b'{"a":1e+300}',
        b'\xef\xbb\xbf{"a":1}',  # a byte-order mark
        b'{"a":1} ',
        b"[1]",  # not an object: the slow path decides (and parse_canonical accepts)
        b'"a"',
        b"",
        b"\x00",
        b'{"a":"\xed\xa0\x80"}',  # a surrogate in UTF-8
        b'{"a":"\xff"}',
    ],
)
def test_corners_never_decided_differently(data: bytes) -> None:
    agrees(data)
    if data.startswith(b'{"a":"\\u001f'):
        assert canonical_object(data) == {"a": "\x1f"}
    else:
        assert canonical_object(data) is None


texts = st.text() | st.text(alphabet=st.characters(max_codepoint=0x7F))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INT - 2, max_value=MAX_SAFE_INT + 2)
    | st.integers()
    | texts
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=12,
)
objects = st.dictionaries(texts, values, max_size=5)


@given(objects)
@settings(max_examples=500)
def test_canonical_encodings_and_their_misspellings_agree(value: dict[str, object]) -> None:
    spellings = [
        json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(),
        json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(),
        json.dumps(value, sort_keys=True, separators=(",", ":")).encode(),
    ]
    try:
        spellings.append(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError:
        pass  # an integer beyond 2^53: only the misspellings
    for data in spellings:
        agrees(data)


@given(st.binary(max_size=40) | st.from_regex(rb'\A\{"[a-z]":[-0-9.eE+]{1,25}\}\Z'))
@settings(max_examples=500)
def test_arbitrary_bytes_agree(data: bytes) -> None:
    agrees(data)
