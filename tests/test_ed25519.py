"""Spec §1's key and signature rules, in both verifiers: no small-order key or R, no
non-canonical key or S, whatever OpenSSL (which `cryptography` wraps) accepts.

Each rejection is tried on a signature that OpenSSL does accept where one exists,
so a test fails if the rule is dropped, not merely if the signature is garbage.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cleanroom.ledger import ed25519
from cleanroom.ledger.keys import verify_signature
from tests.ed25519_cases import (
    ED25519_CASES,
    IDENTITY,
    any_message_signature,
    encode,
    small_order_encodings,
    small_r_signature,
    unreduced,
)
from tests.ledgerkit import Kit, seeded_key
from tests.tamper_cases import Case, scratch_parent

ROOT = Path(__file__).resolve().parents[1]
SMALL_ORDER = list(small_order_encodings())


def load_minimal() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "verify_minimal", ROOT / "scripts/verify_minimal.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


Check = Callable[[bytes, bytes, bytes], bool]
VERIFIERS: dict[str, Check] = {
    "cleanroom": verify_signature,
    "verify_minimal": load_minimal().sig_ok,
    # Both builds `verify_signature` may choose, whichever this machine chose:
    "bundled libsodium": ed25519.bundled(),
}
SYSTEM = ed25519.system()  # .ci/run installs libsodium23: CI always tests it
if SYSTEM is not None:
    VERIFIERS["system libsodium"] = SYSTEM


def openssl_accepts(public: bytes, sig: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@pytest.fixture(params=sorted(VERIFIERS))
def check(request: pytest.FixtureRequest) -> Check:
    return VERIFIERS[request.param]


def test_genuine_signatures_verify(check: Check) -> None:
    key = seeded_key("ed25519/genuine")
    public = key.public_key().public_bytes_raw()
    for n in range(8):
        message = b"entry %d" % n
        assert check(public, key.sign(message), message)
        assert not check(public, key.sign(message), message + b"!")


def test_the_small_order_encodings_are_all_there() -> None:
    names = [name for name, _ in SMALL_ORDER]
    assert len(set(e for _, e in SMALL_ORDER)) == len(SMALL_ORDER) == 14, names


def messages_openssl_accepts(public: bytes) -> Iterator[bytes]:
    """Messages whose any-message signature OpenSSL accepts under `public`: every
    message for the identity, about one in `order` for a point of order 2, 4 or 8."""
    sig = any_message_signature()
    for n in range(256):
        message = b"anything %d" % n
        if openssl_accepts(public, sig, message):
            yield message


@pytest.mark.parametrize(("name", "public"), SMALL_ORDER, ids=[n for n, _ in SMALL_ORDER])
def test_small_order_keys_are_rejected(check: Check, name: str, public: bytes) -> None:
    accepted = list(messages_openssl_accepts(public))[:4]
    for message in accepted or [b"anything 0"]:
        assert not check(public, any_message_signature(), message), name


def test_openssl_does_accept_the_small_order_forgeries() -> None:
    """The premise of the tests above: without the rule, these forgeries pass."""
    accepted = {name for name, public in SMALL_ORDER if any(messages_openssl_accepts(public))}
    assert {"order 1, sign 0", "order 1, y + p, sign 1", "order 8, sign 0"} <= accepted


def test_small_order_r_is_rejected(check: Check) -> None:
    key = seeded_key("ed25519/small-r")
    public, message = key.public_key().public_bytes_raw(), b"a view"
    sig = small_r_signature(key, message)
    assert sig[:32] == IDENTITY and openssl_accepts(public, sig, message)
    assert not check(public, sig, message)


@pytest.mark.parametrize("y", [0, 2**255 - 19 - 1, 2**255 - 19, 2**255 - 18])
def test_other_small_order_r_encodings_are_rejected(check: Check, y: int) -> None:
    key = seeded_key("ed25519/small-r")
    public, message = key.public_key().public_bytes_raw(), b"a view"
    sig = small_r_signature(key, message)
    assert not check(public, encode(y) + sig[32:], message)


def test_unreduced_s_is_rejected(check: Check) -> None:
    key = seeded_key("ed25519/s-plus-l")
    public, message = key.public_key().public_bytes_raw(), b"a view"
    assert not check(public, unreduced(key.sign(message)), message)


def test_non_canonical_key_is_rejected(check: Check) -> None:
    """y + p for a y < 19 that is on the curve names the same point as y: not a key."""
    for y in range(2, 19):
        public = encode(y + 2**255 - 19)
        assert not check(public, any_message_signature(), b"x"), y


@pytest.mark.parametrize(
    ("public", "sig"),
    [
        (b"", b""),
        (b"\x01" * 31, b"\x00" * 64),
        (b"\x01" * 33, b"\x00" * 64),
        (b"\x01" * 32, b"\x00" * 63),
        (b"\x01" * 32, b"\x00" * 65),
        (None, b"\x00" * 64),
        ("zz", "zz"),
    ],
)
@pytest.mark.parametrize("name", ["cleanroom", "verify_minimal"])
def test_malformed_input_is_false_never_an_exception(
    name: str, public: object, sig: object
) -> None:
    """The entry points; the builds behind `verify_signature` see only checked input."""
    check = VERIFIERS[name]
    key = seeded_key("ed25519/malformed")
    good_pub = key.public_key().public_bytes_raw()
    assert check(public, sig, b"m") is False  # type: ignore[arg-type]
    assert check(good_pub, sig, b"m") is False  # type: ignore[arg-type]


# -- the ledgers (their vectors run through both verifiers in test_vectors.py) ----


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cleanroom-ed25519-", dir=scratch_parent()) as d:
        yield Path(d)


@pytest.mark.parametrize("case", ED25519_CASES, ids=lambda c: c.name)
def test_ledger_case(case: Case, workdir: Path) -> None:
    genuine = case.build(Kit(), workdir / "genuine")
    assert genuine.good.problems(genuine.verify()) == []
    scene = case.make(Kit(), workdir / case.name)
    verdict = scene.verify()
    assert case.expect.problems(verdict) == [], verdict.findings


def test_a_message_larger_than_any_entry_verifies() -> None:
    key = seeded_key("ed25519/large")
    public, message = key.public_key().public_bytes_raw(), b"m" * (3 << 20)
    assert verify_signature(public, key.sign(message), message)
    assert not verify_signature(public, key.sign(message), message[:-1] + b"n")


def test_threads_checking_at_once_each_get_their_own_answer() -> None:
    """The per-thread output buffer: concurrent checks never see each other's bytes."""
    keys = [seeded_key(f"ed25519/thread/{n}") for n in range(4)]
    jobs = []
    for n, key in enumerate(keys * 50):
        message = b"entry %d" % n + bytes(n % 300)
        sig = key.sign(message)
        good = n % 3 != 0
        jobs.append(
            (key.public_key().public_bytes_raw(), sig, message if good else message + b"x", good)
        )
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda j: verify_signature(j[0], j[1], j[2]), jobs))
    assert answers == [good for *_, good in jobs]


def test_ci_has_the_system_libsodium() -> None:
    """.ci/run installs it, so the system build is tested, not skipped, in CI."""
    assert SYSTEM is not None
    assert ed25519.IMPLEMENTATION == "libsodium (system)"


def test_a_library_that_breaks_the_rules_is_not_used() -> None:
    """OpenSSL's rules are not the spec's: the self-test refuses such a build,
    and one that raises, and one that accepts everything."""
    assert ed25519._self_test(ed25519.bundled())
    assert not ed25519._self_test(openssl_accepts)
    assert not ed25519._self_test(lambda public, sig, message: True)

    def broken(public: bytes, sig: bytes, message: bytes) -> bool:
        raise OSError("no such symbol")

    assert not ed25519._self_test(broken)


def test_the_system_library_stays_loaded_after_collection() -> None:
    """cffi unloads a library whose objects are collected; a call then crashes."""
    import gc

    check = ed25519.system()
    assert check is not None
    gc.collect()
    key = seeded_key("ed25519/gc")
    message = b"after a collection"
    assert check(key.public_key().public_bytes_raw(), key.sign(message), message)
