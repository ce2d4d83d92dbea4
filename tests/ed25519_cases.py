"""Ed25519 keys and signatures that spec §1 rules out, and the ledgers that carry them.

RFC 8032 leaves implementations free on small-order points and on some encodings,
and they differ ("Taming the many EdDSAs", Chalkias et al. 2020; Zcash ZIP 215).
`cryptography` (OpenSSL) accepts a small-order or non-canonically encoded public
key and a small-order R; libsodium, and so spec §1, rejects them. Each construction
below makes a signature that OpenSSL accepts and the spec does not:

- `any_message_signature`: with A of small order, [k]A vanishes (always for the
  identity, for a share of messages for the others), so R = [s]B, S = s verifies
  under A for every such message, with no secret at all.
- `small_r_signature`: whoever holds a real key can sign with R the identity and
  S = k·a, since [S]B − [k]A is then the identity.

`ED25519_CASES` puts them into ledgers, as tamper cases of tests/tamper_cases.py;
scripts/gen_vectors.py writes them out with the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.bindings import crypto_scalarmult_ed25519_base_noclamp

from cleanroom.ledger.encoding import signed_message
from tests.ledgerkit import Kit
from tests.tamper_cases import (
    FORGED_VIEW,
    Case,
    Scene,
    append_forged,
    end_payload,
    next_body,
    put_row,
    rows_of,
    sealed,
    tampered,
    unsealed,
)

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
Y8 = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826  # an order-8 y


def encode(y: int, sign: int = 0) -> bytes:
    """The 32-byte encoding of y (any value below 2^255, so also non-canonical ones)."""
    return (y | sign << 255).to_bytes(32, "little")


def small_order_encodings() -> Iterator[tuple[str, bytes]]:
    """Every 32-byte string that names one of the 8 points of order 1, 2, 4 or 8:
    both signs of x, and the non-canonical y + p where y + p < 2^255 (0 and 1)."""
    ys = {"order 1": 1, "order 2": P - 1, "order 4": 0, "order 8": Y8, "order 8'": P - Y8}
    for name, y in ys.items():
        for sign in (0, 1):
            yield f"{name}, sign {sign}", encode(y, sign)
            if y + P < 2**255:
                yield f"{name}, y + p, sign {sign}", encode(y + P, sign)


IDENTITY = encode(1)
IDENTITY_NON_CANONICAL = encode(1 + P, 1)  # y = p + 1 and the sign bit set: still the identity


def any_message_signature(s: int = 0x0C1EA2) -> bytes:
    """R = [s]B, S = s: valid under the identity key for every message, by OpenSSL."""
    return crypto_scalarmult_ed25519_base_noclamp(s.to_bytes(32, "little")) + s.to_bytes(
        32, "little"
    )


def secret_scalar(key: Ed25519PrivateKey) -> int:
    """RFC 8032 §5.1.5: the clamped scalar a of a private key."""
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    a = bytearray(hashlib.sha512(seed).digest()[:32])
    a[0] &= 248
    a[31] = (a[31] & 63) | 64
    return int.from_bytes(a, "little")


def small_r_signature(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """R = the identity, S = k·a mod L: verifies by OpenSSL's (cofactorless) equation."""
    public = key.public_key().public_bytes_raw()
    k = int.from_bytes(hashlib.sha512(IDENTITY + public + message).digest(), "little") % L
    return IDENTITY + (k * secret_scalar(key) % L).to_bytes(32, "little")


def unreduced(signature: bytes) -> bytes:
    """The same signature with S + L in place of S (the non-canonical S of RFC 8032 §5.1.7)."""
    s = int.from_bytes(signature[32:], "little")
    return signature[:32] + (s + L).to_bytes(32, "little")


@dataclass(frozen=True)
class Signer:
    """Stands in for a private key in `append_forged`: it only has to `sign`."""

    sign_with: Callable[[bytes], bytes]

    def sign(self, message: bytes) -> bytes:
        return self.sign_with(message)


# -- the ledgers ------------------------------------------------------------------


def hand_over_to(kit: Kit, scene: Scene, next_key: bytes) -> None:
    """The thief of the live key appends a view naming `next_key` (a small-order point);
    then anyone, holding no key at all, writes the next view and seals with a key of
    their own."""
    path = scene.path
    seq = len(rows_of(path))
    body = next_body(path, "view", FORGED_VIEW, next_key).encode()
    put_row(path, seq, body, kit.signer_of(path, seq).sign(signed_message(body)))
    keyless = Signer(lambda _message: any_message_signature())
    held = append_forged(path, "view", FORGED_VIEW, keyless)  # type: ignore[arg-type]
    assert held is not None
    append_forged(path, "session_end", end_payload(path), held)


def sign_with_small_r(kit: Kit, scene: Scene) -> None:
    """The holder of the live key signs the next view with R the identity, then seals."""
    live = kit.signer_of(scene.path, len(rows_of(scene.path)))
    odd = Signer(partial(small_r_signature, live))
    held = append_forged(scene.path, "view", FORGED_VIEW, odd)  # type: ignore[arg-type]
    assert held is not None
    append_forged(scene.path, "session_end", end_payload(scene.path), held)


def add_l_to_s(kit: Kit, scene: Scene, seq: int) -> None:
    _, body, sig = rows_of(scene.path)[seq]
    put_row(scene.path, seq, body, unreduced(sig))


# unsealed(): entries 0..3; the thief appends 4 (naming the small-order key), the
# keyless forgery is 5 and the seal 6, without the reviewer's countersignature.
ED25519_CASES: list[Case] = [
    Case(
        "small_order_next_key",
        (15, 20),
        unsealed,
        partial(hand_over_to, next_key=IDENTITY),
        tampered(5, "SIGNATURE", also=("NOT_COUNTERSIGNED",)),
    ),
    Case(
        "small_order_next_key_non_canonical",
        (15, 20),
        unsealed,
        partial(hand_over_to, next_key=IDENTITY_NON_CANONICAL),
        tampered(5, "SIGNATURE", also=("NOT_COUNTERSIGNED",)),
    ),
    Case(
        "signature_small_order_r",
        (15, 20),
        unsealed,
        sign_with_small_r,
        tampered(4, "SIGNATURE", also=("NOT_COUNTERSIGNED",)),
    ),
    Case(
        "signature_s_not_reduced",
        (15, 20),
        sealed,
        partial(add_l_to_s, seq=2),
        tampered(2, "SIGNATURE", also=("CHAIN",)),
    ),
]
