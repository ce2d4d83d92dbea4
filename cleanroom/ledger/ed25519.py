"""Ed25519 signature checks under spec §1's rules ("Valid keys and signatures").

Every signature Cleanroom checks (entries, certificates, countersignatures,
snapshot manifests) goes through `verify_signature`, which is libsodium's
`crypto_sign_open` as PyNaCl bundles it (ADR 0006): it rejects small-order and
non-canonical public keys, a small-order R and an unreduced S, which OpenSSL
accepts. Signing stays with `cryptography` (keys.py).

The ledger verifier calls this once per entry, so the call is made straight into
PyNaCl's CFFI library, without `nacl.bindings.crypto_sign_open`'s two
allocations and copy of the message: a per-thread output buffer is reused.
"""

from __future__ import annotations

import threading

from nacl._sodium import ffi, lib  # type: ignore[import-untyped]
from nacl.bindings import sodium_init

sodium_init()  # idempotent; importing nacl.bindings has already done it

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
_BUFFER_BYTES = (1 << 20) + 4096  # an entry body (MAX_BODY) and its domain prefix

_scratch = threading.local()  # crypto_sign_open writes the opened message here
_open = lib.crypto_sign_open


def verify_signature(public: bytes, sig: bytes, message: bytes) -> bool:
    """True when `sig` is a valid Ed25519 signature of `message` by raw key `public`.

    Valid means spec §1: the key is a canonical encoding of a point that is not of
    small order, S is below the group order L, R is not of small order, and the
    cofactorless equation holds. Anything else, including a key or signature of
    the wrong length or type, is False; this never raises.
    """
    if not (isinstance(public, bytes) and isinstance(sig, bytes) and isinstance(message, bytes)):
        return False
    if len(public) != PUBLIC_KEY_BYTES or len(sig) != SIGNATURE_BYTES:
        return False  # libsodium reads exactly 32 and 64 bytes, whatever it is given
    signed = sig + message
    try:
        out, out_len = _scratch.buffers
    except AttributeError:
        out, out_len = _scratch.buffers = _buffers(_BUFFER_BYTES)
    if len(message) > _BUFFER_BYTES:  # larger than any entry: a buffer of its own
        out, out_len = _buffers(len(message))
    return _open(out, out_len, signed, len(signed), public) == 0


def _buffers(size: int) -> tuple[object, object]:
    return ffi.new("unsigned char[]", size), ffi.new("unsigned long long *")
