"""Ed25519 signature checks under spec §1's rules ("Valid keys and signatures").

Every signature Cleanroom checks (entries, certificates, countersignatures,
snapshot manifests) goes through `verify_signature`, which is libsodium's (ADR
0006): it rejects small-order and non-canonical public keys, a small-order R and
an unreduced S, which OpenSSL accepts. Signing stays with `cryptography` (keys.py).

Two builds of libsodium can serve, with the same rules:
- the operating system's, when it has one (Debian's `libsodium23`): it verifies
  about 8 % faster than PyNaCl's bundled build on this machine, and the ledger
  verifier spends nearly all its time here. It is loaded through cffi's ABI mode
  (`system`) from a fixed list of names and used only if it passes `_self_test`;
- PyNaCl's bundled build otherwise, called straight into its CFFI library with a
  per-thread output buffer (no `nacl.bindings` allocations or message copy).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nacl._sodium import ffi, lib  # type: ignore[import-untyped]
from nacl.bindings import sodium_init

sodium_init()  # idempotent; importing nacl.bindings has already done it

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
_BUFFER_BYTES = (1 << 20) + 4096  # an entry body (MAX_BODY) and its domain prefix
# The system's libsodium, newest first. Names only: the dynamic loader's own search
# path decides where it comes from, as for every other shared library we load.
SYSTEM_LIBRARIES = ("libsodium.so.26", "libsodium.so.23", "libsodium.dylib")

Check = Callable[[bytes, bytes, bytes], bool]  # (public, sig, message) -> valid


def bundled() -> Check:
    """libsodium as PyNaCl bundles it: `crypto_sign_open`, which needs the signed
    message (signature, then message) and an output buffer as large as it."""
    scratch = threading.local()  # crypto_sign_open writes the opened message here
    sign_open = lib.crypto_sign_open

    def check(public: bytes, sig: bytes, message: bytes) -> bool:
        signed = sig + message
        try:
            out, out_len = scratch.buffers
        except AttributeError:
            out, out_len = scratch.buffers = _buffers(_BUFFER_BYTES)
        if len(message) > _BUFFER_BYTES:  # larger than any entry: a buffer of its own
            out, out_len = _buffers(len(message))
        return sign_open(out, out_len, signed, len(signed), public) == 0

    return check


def _buffers(size: int) -> tuple[object, object]:
    return ffi.new("unsigned char[]", size), ffi.new("unsigned long long *")


def system() -> Check | None:
    """The operating system's libsodium (`crypto_sign_verify_detached`), or None
    when there is none, it cannot be loaded, or it fails `_self_test`.

    Loaded through cffi's ABI mode at its lowest level: `_cffi_backend`'s
    `load_library` and `load_function`, the calls `cffi.FFI().dlopen` makes, with
    the function's type read by PyNaCl's compiled FFI. `import cffi` and the C
    parser its `cdef` needs (pycparser) cost 40-60 ms of every `cleanroom verify`,
    more than checking 1,000 entries."""
    try:
        import _cffi_backend  # type: ignore[import-not-found]  # PyNaCl's own dependency
    except ImportError:  # pragma: no cover - PyNaCl cannot be imported without it
        return None
    detached_type = ffi.typeof(
        "int(*)(const unsigned char *, const unsigned char *, unsigned long long,"
        " const unsigned char *)"
    )
    init_type = ffi.typeof("int(*)(void)")
    for name in SYSTEM_LIBRARIES:
        try:
            sodium = _cffi_backend.load_library(name)
            if sodium.load_function(init_type, "sodium_init")() < 0:
                continue
            verify_detached = sodium.load_function(detached_type, "crypto_sign_verify_detached")
            check = _detached(verify_detached)
        except (OSError, AttributeError, KeyError):
            continue
        if _self_test(check):
            # The library is closed once its object is collected: keep it, and the
            # function, for as long as the check can be called.
            _LOADED.append((sodium, verify_detached))
            return check
    return None


_LOADED: list[object] = []  # the system library, kept open (see `system`)


def _detached(verify_detached: Callable[..., int]) -> Check:
    def check(public: bytes, sig: bytes, message: bytes) -> bool:
        return verify_detached(sig, message, len(message), public) == 0

    return check


# RFC 8032 §7.1, test 1: a genuine key, the empty message and its signature.
_RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
_RFC_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555f"
    "b8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)
_L = 2**252 + 27742317777372353535851937790883648493  # the group order
_BASE = bytes.fromhex("58" + "66" * 31)  # the base point B
_IDENTITY = bytes([1]) + bytes(31)


def _self_test(check: Check) -> bool:
    """The spec's rules hold for `check`: the RFC vector verifies, and neither S + L
    nor the identity key (which OpenSSL accepts with R = B, S = 1 for every
    message) does. A library that differs is not used."""
    unreduced = _RFC_SIG[:32] + (int.from_bytes(_RFC_SIG[32:], "little") + _L).to_bytes(
        32, "little"
    )
    forged = _BASE + (1).to_bytes(32, "little")
    try:
        return (
            check(_RFC_PUBLIC, _RFC_SIG, b"") is True
            and check(_RFC_PUBLIC, _RFC_SIG, b"x") is False
            and check(_RFC_PUBLIC, unreduced, b"") is False
            and check(_IDENTITY, forged, b"any message") is False
        )
    except Exception:  # noqa: BLE001 - a library that misbehaves is simply not used
        return False


def _choose() -> tuple[str, Check, Callable[..., int] | None]:
    found = system()
    if found is not None:
        return "libsodium (system)", found, _LOADED[-1][1]  # type: ignore[index]
    return "libsodium (bundled with PyNaCl)", bundled(), None


# DETACHED: the system build's crypto_sign_verify_detached(sig, message, len(message),
# public), 0 when valid, or None with the bundled build. Only for a caller that has
# already made `verify_signature`'s checks of types and lengths: the verifier's
# fast path (entries.check_rows), where two Python frames per entry are 1 % of it.
IMPLEMENTATION, _check, DETACHED = _choose()


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
    return _check(public, sig, message)
