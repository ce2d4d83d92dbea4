"""The entry encoding: canonical JSON payloads and the fixed binary header."""

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.ledger.encoding import (
    HEADER,
    MAX_SAFE_INT,
    Body,
    EncodingError,
    canonical_json,
    decode_body,
    entry_hash,
    parse_canonical,
)

safe_ints = st.integers(min_value=-MAX_SAFE_INT, max_value=MAX_SAFE_INT)
texts = st.text()  # any code points except lone surrogates, which UTF-8 cannot carry
scalars = st.none() | st.booleans() | safe_ints | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
payloads = st.dictionaries(texts, json_values, max_size=6)


@given(payloads)
@settings(max_examples=400)
def test_parse_accepts_exactly_the_reference_encoding(value):
    data = rfc8785.dumps(value)
    assert canonical_json(value) == data
    assert parse_canonical(data) == value


@given(payloads)
@settings(max_examples=300)
def test_any_other_spelling_of_the_same_value_is_rejected(value):
    canonical = rfc8785.dumps(value)
    for other in (
        json.dumps(value).encode(),  # spaces after separators
        json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode(),
        json.dumps(value, indent=1).encode(),
    ):
        if other != canonical:
            with pytest.raises(EncodingError):
                parse_canonical(other)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":1,"a":2}',  # duplicate keys: parsers disagree which wins
        b'{"a":1.0}',
        b'{"a":1e3}',
        b'{"a":NaN}',
        b'{"a":9007199254740992}',  # 2^53: not exactly representable for JCS peers
        b'{"b":1,"a":2}',
        b'{"a":"\\u00e9"}',  # escaped non-ASCII
        b'{"a":"\\ud800"}',  # lone surrogate
        b'{"a":"\xff"}',  # not UTF-8
        b'{"a":1} ',
        b"",
        b"[" * 100_000,  # nesting bomb: must be an error, not a crash
    ],
)
def test_hostile_payloads_are_rejected(data):
    with pytest.raises(EncodingError):
        parse_canonical(data)


def test_non_ascii_keys_sort_by_utf16_like_rfc8785():
    value = {"\U0001f600": 1, "\uffff": 2, "a": 3}
    assert parse_canonical(rfc8785.dumps(value)) == value
    python_order = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert python_order.encode() != rfc8785.dumps(value)  # the trap the check avoids
    with pytest.raises(EncodingError):
        parse_canonical(python_order.encode())


def test_floats_and_unsafe_ints_cannot_be_written():
    with pytest.raises(EncodingError):
        canonical_json({"a": 0.5})
    with pytest.raises(EncodingError):
        canonical_json({"a": MAX_SAFE_INT + 1})


def _body(**kw):
    fields = dict(
        seq=7,
        ledger=b"L" * 16,
        prev=b"P" * 32,
        wall_us=1_790_000_000_000_000,
        mono_us=-5,
        boot=b"B" * 16,
        next_key=b"K" * 32,
        kind="view",
        payload={"first": 1, "name": "é\u202e"},
    )
    fields.update(kw)
    return Body(**fields)


def test_body_round_trips_and_header_offsets_match_the_spec():
    body = _body()
    data = body.encode()
    assert decode_body(data) == body
    assert data[:8] == b"CRLEDG\x00\x01"
    assert data[8:16] == (7).to_bytes(8, "big")
    assert data[16:32] == b"L" * 16 and data[32:64] == b"P" * 32
    assert data[96:128] == b"K" * 32 and data[128] == 4 and data[129:133] == b"view"
    assert HEADER.size == 129


@given(st.binary(max_size=300))
def test_random_bytes_never_crash_decode(data):
    try:
        decode_body(data)
    except EncodingError:
        pass


@given(st.integers(0, 140), st.integers(0, 7))
def test_every_header_bit_matters(index, bit):
    data = bytearray(_body().encode())
    data[index] ^= 1 << bit
    try:
        changed = decode_body(bytes(data))
    except EncodingError:
        return
    assert changed != _body()


@pytest.mark.parametrize("kind", ["", "View", "a" * 33, "sp ace", "kind\x00"])
def test_bad_kinds_are_refused(kind):
    with pytest.raises(EncodingError):
        _body(kind=kind).encode()


def test_entry_hash_covers_body_and_signature():
    h = entry_hash(b"body", b"s" * 64)
    assert h != entry_hash(b"body", b"t" * 64)
    assert h != entry_hash(b"bodz", b"s" * 64)
    assert len(h) == 32


def test_nesting_is_limited_to_32_levels_on_both_sides() -> None:
    """Spec §3.1: objects and arrays nest at most MAX_DEPTH deep, counted from the
    payload itself. The writer refuses what the verifier would reject."""
    from cleanroom.ledger.encoding import MAX_DEPTH, canonical_json, parse_canonical

    def nested(levels: int) -> Any:
        value: Any = 1
        for i in range(levels - 1):
            value = {"a": value} if i % 2 else [value]
        return {"x": value}

    assert MAX_DEPTH == 32
    deepest = canonical_json(nested(MAX_DEPTH))
    assert parse_canonical(deepest) == nested(MAX_DEPTH)
    with pytest.raises(EncodingError, match="deeper than 32"):
        canonical_json(nested(MAX_DEPTH + 1))
    too_deep = b'{"x":' + b"[" * MAX_DEPTH + b"1" + b"]" * MAX_DEPTH + b"}"
    with pytest.raises(EncodingError, match="deeper than 32"):
        parse_canonical(too_deep)
    # Far past Python's recursion limit: still a plain EncodingError.
    with pytest.raises(EncodingError):
        parse_canonical(b"[" * 100_000 + b"]" * 100_000)
    # Brackets inside strings are not nesting.
    flat = canonical_json({"s": "[" * 100 + "{" * 100})
    assert parse_canonical(flat) == {"s": "[" * 100 + "{" * 100}
