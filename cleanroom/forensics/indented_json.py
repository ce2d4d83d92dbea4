"""`json.dumps(value, ensure_ascii=True, indent=1)`, byte for byte, about three times faster.

With `indent`, the standard library encodes in pure Python, a generator per
container and a yield per token; its C encoder only writes compact JSON. Over a
hundred ledgers who-viewed's answer is tens of thousands of rows, and that
encoder was a third of the command's CPU. This writer lays out the same text
in one recursive function that appends to a list, and leaves every string to
the C escaper the standard library itself uses (`encode_basestring_ascii`), so
hostile names are escaped exactly as before (tests/test_indented_json.py holds
it to `json.dumps` on generated values, lone surrogates and control characters
included). Anything but the JSON types (str, int, float, bool, None, list,
tuple, dict) is handed to `json.dumps`, which refuses it as before.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii  # the C escaper json.dumps uses
from typing import Any


def dumps(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=True, indent=1)`."""
    out: list[str] = []
    _write(value, "\n", out)
    return "".join(out)


def _scalar(v: Any) -> str | None:
    """The JSON of a value that holds no other, or None for a container."""
    t = type(v)
    if t is str:
        return encode_basestring_ascii(v)  # type: ignore[no-any-return]
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if t is int:
        return int.__repr__(v)
    if t is list or t is tuple or t is dict:
        return None
    if isinstance(v, (list, tuple, dict)):
        return None
    return json.dumps(v)  # floats and subclasses as json encodes them; others raise


def _key(k: Any) -> str:
    if type(k) is str:
        return encode_basestring_ascii(k)  # type: ignore[no-any-return]
    if isinstance(k, str):
        return encode_basestring_ascii(k)  # type: ignore[no-any-return]
    # json turns a float, bool, None or int key into its JSON text, as a string
    if isinstance(k, float) or k is None or k is True or k is False or isinstance(k, int):
        return '"' + json.dumps(k) + '"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")


def _write(v: Any, nl: str, out: list[str]) -> None:
    """Append the JSON of `v`, whose lines after the first start with `nl`
    (a newline and the indent of its level)."""
    text = _scalar(v)
    if text is not None:
        out.append(text)
        return
    inner = nl + " "
    add = out.append
    if isinstance(v, dict):
        if not v:
            add("{}")
            return
        sep = "{" + inner
        for k, x in v.items():
            add(sep)
            add(_key(k))
            add(": ")
            t = type(x)
            if t is str:
                add(encode_basestring_ascii(x))
            elif t is int:
                add(int.__repr__(x))
            else:
                _write(x, inner, out)
            sep = "," + inner
        add(nl + "}")
        return
    if not v:
        add("[]")
        return
    sep = "[" + inner
    for x in v:
        add(sep)
        t = type(x)
        if t is str:
            add(encode_basestring_ascii(x))
        elif t is int:
            add(int.__repr__(x))
        else:
            _write(x, inner, out)
        sep = "," + inner
    add(nl + "]")
