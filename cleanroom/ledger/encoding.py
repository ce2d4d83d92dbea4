"""The byte layout of ledger entries: canonical JSON payloads, bodies, hashes.

This module is the one place that turns values into signed bytes and back.
`docs/ledger-format.md` is its specification; keep them in step.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

import orjson
import rfc8785

MAGIC = b"CRLEDG\x00\x01"
ZERO32 = bytes(32)
MAX_BODY = 1 << 20
MAX_SAFE_INT = (1 << 53) - 1
# Objects and arrays nest at most this deep (spec §3.1): deeper JSON would exhaust
# the recursion of whatever reads it next (the decoder, json.dumps, ==, repr).
MAX_DEPTH = 32
HEADER = struct.Struct(">8sQ16s32sqq16s32sB")  # magic … kind_len, 129 bytes
KIND_RE = re.compile(rb"[a-z_]{1,32}")

ENTRY_DOMAIN = b"cleanroom:entry:v1\x00"
SIG_DOMAIN = b"cleanroom:sig:v1\x00"
CERT_DOMAIN = b"cleanroom:cert:v1\x00"
COUNTERSIGN_DOMAIN = b"cleanroom:countersign:v1\x00"
KEYID_DOMAIN = b"cleanroom:keyid:v1\x00"


class EncodingError(ValueError):
    """Bytes or values that do not follow the ledger format."""


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of `value`. Raises EncodingError for floats or unsafe ints."""
    _reject_floats(value)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, UnicodeError) as exc:
        raise EncodingError(f"not canonicalizable: {exc}") from exc


def _reject_floats(value: Any, depth: int = 1) -> None:
    if isinstance(value, float):
        raise EncodingError("floats are not allowed in ledger payloads")
    if isinstance(value, dict | list | tuple) and depth > MAX_DEPTH:
        raise EncodingError(f"payload nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for v in value.values():
            _reject_floats(v, depth + 1)
    elif isinstance(value, list | tuple):
        for v in value:
            _reject_floats(v, depth + 1)


def within_depth(value: Any) -> bool:
    """True if no object or array in `value` lies deeper than MAX_DEPTH (the
    outermost is at depth 1). Iterative: any depth a parser returned is safe."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            return False
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True


def _no_float(text: str) -> Any:
    raise EncodingError(f"float {text!r} in payload")


def _no_constant(text: str) -> Any:
    raise EncodingError(f"constant {text!r} in payload")


def _safe_int(text: str) -> int:
    # ±(2^53-1) takes at most 17 characters; a longer text is out of range, and
    # int() of one over 4300 digits raises a plain ValueError.
    if len(text) > 17:
        raise EncodingError(f"integer {text[:20]}… ({len(text)} characters) outside ±(2^53-1)")
    value = int(text)
    if abs(value) > MAX_SAFE_INT:
        raise EncodingError(f"integer {text} outside ±(2^53-1)")
    return value


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_constant, parse_int=_safe_int)


def _unencodable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# The C encoder behind json.dumps(sort_keys=True, separators=(",", ":"),
# ensure_ascii=False), built once: json.dumps builds a JSONEncoder and a C encoder on
# every call, which costs as much as the encoding itself for a small payload.
if c_make_encoder is not None:
    _c_encoder = c_make_encoder(
        None, _unencodable, encode_basestring, None, ":", ",", True, False, False
    )

    def _ascii_canonical(value: Any) -> str:
        return "".join(_c_encoder(value, 0))

else:  # pragma: no cover - CPython always has _json
    _py_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    _ascii_canonical = _py_encoder.encode


def parse_canonical(data: bytes) -> Any:
    """Parse canonical JSON, raising EncodingError unless `data` is exactly canonical.

    A payload `canonical_object` accepts is returned as it parsed it; everything
    else, and every error, is decided as follows. For ASCII input, Python's own
    encoder with sorted keys and no whitespace produces exactly RFC 8785 for the
    values allowed here (keys are ASCII, so code-point order equals UTF-16 order).
    Other input is compared against the rfc8785 package itself.
    tests/test_encoding.py proves the two agree.
    """
    try:
        text = data.decode("utf-8")
        # raw_decode: no whitespace skipping; trailing bytes fail the comparison below.
        value = _DECODER.raw_decode(text)[0]
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EncodingError(f"not JSON: {exc}") from exc
    # Each level of nesting opens one { or [: most payloads need no walk at all.
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and not within_depth(value):
        raise EncodingError(f"payload nested deeper than {MAX_DEPTH} levels")
    if data.isascii():
        # Compared as text: a lone surrogate from a \ud800 escape comes back raw,
        # so it differs from the escape it was read from.
        same = _ascii_canonical(value) == text
    else:
        try:
            same = rfc8785.dumps(value) == data
        except (rfc8785.CanonicalizationError, UnicodeError, TypeError):
            same = False
    if not same:
        raise EncodingError("payload is not in canonical form (RFC 8785)")
    return value


_SORTED = orjson.OPT_SORT_KEYS
_LOADS, _DUMPS = orjson.loads, orjson.dumps
# UTF-8 lead bytes of U+E000 and above: where code point order (orjson's sorting
# of keys) and UTF-16 order (RFC 8785's) can differ. Below U+E000 they agree.
_ORDER_MAY_DIFFER = 0xEE


def canonical_object(data: bytes) -> dict[str, Any] | None:
    """The object `data` encodes, when it is certainly one in exactly the canonical
    form of spec §3.1; None when undecided (`parse_canonical` then decides, with the
    reasons it gives). The fast path of verification (ADR 0006): orjson parses
    and re-encodes with sorted keys, the bytes must come back the same, and the
    corners where orjson and RFC 8785 differ are left undecided:
    - a character at or above U+E000 (orjson sorts keys by code point, RFC 8785
      by UTF-16 code unit);
    - floats (orjson re-encodes `1.0` as it read it), integers beyond ±(2^53-1),
      and objects or arrays deeper than MAX_DEPTH (`_plain` stops there).
    Escapes (`\u001f`, but `\u2028` raw), lone surrogates (orjson refuses them),
    `-0`, big integers and duplicate keys do not re-encode to the same bytes.
    tests/test_canonical_fast.py holds every corner against the slow path."""
    if not data.isascii() and max(data) >= _ORDER_MAY_DIFFER:
        return None
    try:
        value = _LOADS(data)
        if type(value) is not dict or _DUMPS(value, option=_SORTED) != data:
            return None
    except (ValueError, TypeError):  # orjson's decode and encode errors
        return None
    return value if _plain(value) else None


def _plain(value: dict[str, Any] | list[Any], depth: int = 1) -> bool:
    """No float, no integer beyond ±(2^53-1) and no object or array deeper than
    MAX_DEPTH in `value`, which lies at `depth` (the outermost at 1). orjson reads
    up to 1024 levels: the walk stops at MAX_DEPTH + 1, far from the recursion limit."""
    for v in value.values() if type(value) is dict else value:  # type: ignore[union-attr]
        t = type(v)
        if t is str or t is bool or v is None:
            continue
        if t is int:
            if -MAX_SAFE_INT <= v <= MAX_SAFE_INT:
                continue
            return False
        if (t is dict or t is list) and depth < MAX_DEPTH and _plain(v, depth + 1):
            continue
        return False
    return True


@dataclass(slots=True)
class Body:
    """The signed fields of one entry (layout: docs/ledger-format.md §3.1)."""

    seq: int
    ledger: bytes
    prev: bytes
    wall_us: int
    mono_us: int
    boot: bytes
    next_key: bytes
    kind: str
    payload: dict[str, Any]

    def encode(self) -> bytes:
        kind = self.kind.encode("ascii")
        if not KIND_RE.fullmatch(kind):
            raise EncodingError(f"bad kind {self.kind!r}")
        if not isinstance(self.payload, dict):
            raise EncodingError("payload must be a JSON object")
        head = HEADER.pack(
            MAGIC,
            self.seq,
            self.ledger,
            self.prev,
            self.wall_us,
            self.mono_us,
            self.boot,
            self.next_key,
            len(kind),
        )
        body = head + kind + canonical_json(self.payload)
        if len(body) > MAX_BODY:
            raise EncodingError(f"entry body of {len(body)} bytes exceeds {MAX_BODY}")
        return body


def decode_body(data: bytes) -> Body:
    """Parse entry body bytes. Raises EncodingError on any deviation from the layout."""
    if not isinstance(data, bytes):
        raise EncodingError(f"body is {type(data).__name__}, not a blob")
    if len(data) > MAX_BODY:
        raise EncodingError(f"body of {len(data)} bytes exceeds {MAX_BODY}")
    if len(data) < HEADER.size:
        raise EncodingError(f"body of {len(data)} bytes is shorter than the header")
    magic, seq, ledger, prev, wall, mono, boot, next_key, kind_len = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise EncodingError("bad magic or version")
    kind = data[HEADER.size : HEADER.size + kind_len]
    if len(kind) != kind_len:
        raise EncodingError("bad kind")
    if kind not in _GOOD_KINDS:  # a set lookup instead of a regex, per entry
        if not KIND_RE.fullmatch(kind):
            raise EncodingError("bad kind")
        if len(_GOOD_KINDS) < 256:
            _GOOD_KINDS.add(kind)
    raw = data[HEADER.size + kind_len :]
    # The verifier's fast path decides most payloads; parse_canonical the rest,
    # with its reasons (tests/test_canonical_fast.py holds the two together).
    payload = canonical_object(raw)
    if payload is None:
        payload = parse_canonical(raw)
    if not isinstance(payload, dict):
        raise EncodingError("payload is not a JSON object")
    return Body(seq, ledger, prev, wall, mono, boot, next_key, kind.decode("ascii"), payload)


_GOOD_KINDS: set[bytes] = set()  # kinds already checked against KIND_RE


def entry_hash(body: bytes, sig: bytes) -> bytes:
    return hashlib.sha256(ENTRY_DOMAIN + body + sig).digest()


def signed_message(body: bytes) -> bytes:
    return SIG_DOMAIN + body


def countersign_message(ledger: bytes, seq: int, prev: bytes) -> bytes:
    return COUNTERSIGN_DOMAIN + ledger + struct.pack(">Q", seq) + prev
