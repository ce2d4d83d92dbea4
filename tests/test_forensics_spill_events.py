"""Every vocabulary kind comes out of the spill as `decode_entry` decodes it.

The verifying processes keep only an event's checked arguments in its spill
record (`_record`, issue 14), and the reading process builds the event from them
(`_entry`). For each kind, a payload that fits, one without its optional fields,
one with a field of the wrong type, one without a required field and one with a
path that does not decode must give the entry (event, or problem) that
`decode_entry` gives, after the record's trip through `marshal` as in a spill file.
"""

from __future__ import annotations

import dataclasses
import marshal
import typing

import pytest

from cleanroom.forensics.timeline import _entry, _record, decode_entry
from cleanroom.ledger.encoding import Body
from cleanroom.session.events import VOCABULARY

ZERO = bytes(32)


def _value(hint: typing.Any) -> typing.Any:
    if hint is bool:
        return True
    if hint is int:
        return 3
    if hint is str:
        return "ab" * 32  # a hex blob or a text: fits either
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        return [_value(args[0])]
    if origin is dict:
        return {_value(args[0]): _value(args[1])}
    return None  # a type no payload gives: the event does not fit


def _payloads(cls: type) -> list[dict[str, typing.Any]]:
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.name != "raw_path"]
    full = {f.name: _value(hints[f.name]) for f in fields}
    required = {
        f.name: full[f.name]
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    out = [full, dict(required)]
    if fields:
        out.append({**full, fields[0].name: ["not", "this"]})
    if required:
        out.append(dict(list(required.items())[1:]))
    if any(f.name == "raw_path" for f in dataclasses.fields(cls)):
        out = [{**p, "path": "src/a.c"} for p in out]
        out.append({**full, "path_b64": "not base64!"})
        out.append({**full, "path_b64": "c3JjL2IuYw=="})
    return out


CASES = [(cls.kind, p) for cls in VOCABULARY for p in _payloads(cls)]


@pytest.mark.parametrize(("kind", "payload"), CASES, ids=[k for k, _ in CASES])
def test_the_spilled_entry_is_the_decoded_one(kind, payload):
    body = Body(7, ZERO, ZERO, 1_000, 2_000, b"\x01" * 16, ZERO, kind, payload).encode()
    expected = decode_entry(body, {})
    assert expected is not None
    record = marshal.loads(marshal.dumps([_record(body, None, {})]))[0]  # noqa: S302
    got = _entry(record, {})
    assert got == expected
    assert (got.event is None) == (expected.event is None)
    assert got.problem == expected.problem


def test_each_kind_has_a_case_that_fits_and_one_that_does_not():
    fits, misfits = set(), set()
    for kind, payload in CASES:
        body = Body(1, ZERO, ZERO, 0, 0, b"\x01" * 16, ZERO, kind, payload).encode()
        entry = decode_entry(body, {})
        (fits if entry.event is not None else misfits).add(kind)
    kinds = {cls.kind for cls in VOCABULARY}
    assert misfits == kinds  # every kind is tried with a payload that does not fit
    assert len(fits) > len(kinds) // 2  # and most with one that does
