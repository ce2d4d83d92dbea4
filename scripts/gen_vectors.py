#!/usr/bin/env python3
"""Regenerate the ledger test vectors from the case registries (tests/tamper_cases.py,
the spec decisions of tests/spec_cases.py and the Ed25519 edge cases of
tests/ed25519_cases.py).

Usage: scripts/gen_vectors.py [OUT_DIR]   (default: tests/vectors)

For each case it writes `<case>.ledger` (with `-wal` / `-journal` sidecars where
the case leaves them), `<case>.receipt.json` when the verifier is handed a
receipt, one `<name>.pub` per trusted vendor key, and `manifest.json`, whose
expectations come from the registry, never from running the verifier. Keys are
seeded and the clock steps, so the ledgers are the same on every run (WAL salts
aside).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402

from tests.ledgerkit import Kit  # noqa: E402
from tests.spec_cases import SPEC_CASES  # noqa: E402  (spec decisions, issue 10 §4)
from tests.tamper_cases import CASES, Case, Scene, scratch_parent  # noqa: E402

MANIFEST_FORMAT = "cleanroom.vectors.v1"
GENERATED = ("*.ledger", "*.ledger-wal", "*.ledger-journal", "*.receipt.json", "*.pub")


def clear(out: Path) -> None:
    """Remove what an earlier run wrote, so no stale vector survives."""
    for pattern in (*GENERATED, "manifest.json"):
        for path in out.glob(pattern):
            path.unlink()


def copy_files(source: Path, name: str, out: Path) -> list[str]:
    """Copy a ledger and its sidecars as `<name>.ledger[-wal|-journal]`; return sidecars."""
    shutil.copyfile(source, out / f"{name}.ledger")
    sidecars = []
    for suffix in ("-wal", "-journal"):
        sidecar = Path(f"{source}{suffix}")
        if sidecar.exists():
            shutil.copyfile(sidecar, out / f"{name}.ledger{suffix}")
            sidecars.append(f"{name}.ledger{suffix}")
    return sidecars


def copy_others(scene: Scene, name: str, out: Path) -> list[str]:
    """The further sessions verified with the first, as `<name>.<n>.ledger`."""
    files = []
    for n, path in enumerate(scene.others, start=2):
        if copy_files(path, f"{name}.{n}", out):
            raise SystemExit(f"{name}: sidecars of further sessions are not supported")
        files.append(f"{name}.{n}.ledger")
    return files


def write_receipts(scene: Scene, name: str, out: Path) -> list[str]:
    if len(scene.receipts) > 1:
        raise SystemExit(f"{name}: a vector carries at most one receipt")
    files = []
    for receipt in scene.receipts:
        (out / f"{name}.receipt.json").write_text(receipt.to_json(), encoding="utf-8")
        files.append(f"{name}.receipt.json")
    return files


def legacy_public_pem(raw: bytes) -> bytes:
    """A public key file as written before key files named their role (ADR 0008).
    The vectors keep this form on purpose: they show that such files stay usable
    as --trust, and `workstation.pub` can stand in as a mistaken root of trust."""
    return Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write_trust(scene: Scene, out: Path, written: dict[str, bytes]) -> list[str]:
    files = []
    for name, raw in sorted(scene.trust.items()):
        if written.setdefault(name, raw) != raw:
            raise SystemExit(f"two different keys are both named {name}.pub")
        path = out / f"{name}.pub"
        if not path.exists():
            path.write_bytes(legacy_public_pem(raw))
        files.append(path.name)
    return files


def export(case: Case, work: Path, out: Path, written: dict[str, bytes]) -> dict[str, object]:
    scene = case.make(Kit(), work / case.name)
    return {
        "case": case.name,
        "numbers": list(case.numbers),
        "file": f"{case.name}.ledger",
        "sidecars": copy_files(scene.path, case.name, out),
        "others": copy_others(scene, case.name, out),
        "trust": write_trust(scene, out, written),
        "witnesses": [f"{w.seq}:{w.code}" for w in scene.witnesses],
        "receipts": write_receipts(scene, case.name, out),
        "expect": case.expect.to_json(),
    }


# -- Ed25519 edge cases (spec §1 "Valid keys and signatures", ADR 0006) ----------


def ed25519_cases() -> list[Case]:
    """Small-order keys, a small-order R and an unreduced S, in ledgers: signatures that
    OpenSSL accepts and spec §1 does not. Built in tests/ed25519_cases.py."""
    from tests.ed25519_cases import ED25519_CASES

    return ED25519_CASES


# -- writing them out ---------------------------------------------------------------


def all_cases() -> list[Case]:
    """Every case exported, each registry in its own block."""
    cases = [*CASES, *SPEC_CASES, *ed25519_cases()]
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise SystemExit("two vectors have the same case name")
    return cases


def generate(out: Path) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    clear(out)
    written: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="cleanroom-vectors-", dir=scratch_parent()) as tmp:
        vectors = [export(case, Path(tmp), out, written) for case in all_cases()]
    manifest = {"format": MANIFEST_FORMAT, "vectors": vectors}
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(args[0]) if args else ROOT / "tests" / "vectors"
    manifest = generate(out)
    print(f"wrote {len(manifest['vectors'])} vectors to {out}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
