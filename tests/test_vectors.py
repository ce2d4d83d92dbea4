"""The committed vectors in tests/vectors/ against both verifiers.

manifest.json is written by scripts/gen_vectors.py from tests/tamper_cases.py;
regenerate with `.venv/bin/python scripts/gen_vectors.py` after changing a case.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cleanroom.ledger.keys import Role, load_public_key, raw_public
from cleanroom.ledger.verdict import Verdict
from cleanroom.ledger.witness import Receipt, Witness
from tests.tamper_cases import Expect, first_bad_seq, verify_set

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
GEN_VECTORS = ROOT / "scripts" / "gen_vectors.py"
VERIFY_MINIMAL = ROOT / "scripts" / "verify_minimal.py"
MINIMAL_LINE = re.compile(r"(INTACT|TAMPERED|INCOMPLETE) first_bad_seq=(-|\d+) codes=(\S+)")
EXIT_CODES = {"INTACT": 0, "TAMPERED": 1, "INCOMPLETE": 3}


def load_manifest(directory: Path) -> list[dict[str, Any]]:
    doc = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert doc["format"] == "cleanroom.vectors.v1"
    return doc["vectors"]


ENTRIES = load_manifest(VECTORS)


def entry_id(entry: dict[str, Any]) -> str:
    return entry["case"]


def verify_vector(directory: Path, entry: dict[str, Any]) -> Verdict:
    trust = [
        raw_public(load_public_key(directory / name, role=Role.VENDOR_ROOT, unmarked_ok=True))
        for name in entry["trust"]
    ]
    witnesses = [Witness.parse(text) for text in entry["witnesses"]]
    receipts = [Receipt.load(directory / name) for name in entry["receipts"]]
    paths = [directory / name for name in [entry["file"], *entry["others"]]]
    return verify_set(paths, trust, witnesses, receipts)


def outcome(verdict: Verdict) -> tuple[str, int | None, list[str]]:
    return verdict.status.value, first_bad_seq(verdict), verdict.codes()


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)
def test_vector_verdict(entry: dict[str, Any]) -> None:
    verdict = verify_vector(VECTORS, entry)
    assert Expect.from_json(entry["expect"]).problems(verdict) == [], verdict.findings


def test_vectors_cover_the_table() -> None:
    numbers = {n for e in ENTRIES for n in e["numbers"]}
    assert len(numbers) >= 25, sorted(set(range(1, 31)) - numbers)


def test_regenerated_vectors_give_the_same_verdicts(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(GEN_VECTORS), str(tmp_path)], check=True, cwd=tmp_path)
    fresh = load_manifest(tmp_path)
    assert fresh == ENTRIES, "tests/vectors is stale: run scripts/gen_vectors.py"
    for entry in ENTRIES:
        old, new = verify_vector(VECTORS, entry), verify_vector(tmp_path, entry)
        assert outcome(new) == outcome(old), entry["case"]


def minimal_args(entry: dict[str, Any]) -> list[str]:
    args = [str(VECTORS / entry["file"])]
    args += [f"--trust={VECTORS / name}" for name in entry["trust"]]
    args += [f"--witness={text}" for text in entry["witnesses"]]
    args += [f"--receipt={VECTORS / name}" for name in entry["receipts"]]
    return args


def run_minimal(entry: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """verify_minimal as a program, as a vendor runs it."""
    args = [sys.executable, str(VERIFY_MINIMAL), *minimal_args(entry)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def minimal_line(entry: dict[str, Any]) -> str:
    """verify_minimal's verdict line, from its `main` in this process (the program
    itself runs per vector in `test_verify_minimal_agrees`; a Python start for
    each vector again cost a minute of the suite)."""
    import contextlib
    import io

    from tests.test_ed25519 import load_minimal

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        load_minimal().main(minimal_args(entry))
    return out.getvalue().strip()


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)
def test_verify_minimal_agrees(entry: dict[str, Any]) -> None:
    assert VERIFY_MINIMAL.exists(), f"{VERIFY_MINIMAL} is missing"
    if not entry["trust"]:
        pytest.skip("verify_minimal requires at least one --trust key")
    if entry["others"]:
        pytest.skip("verify_minimal checks one ledger, not a set of sessions")
    result = run_minimal(entry)
    match = MINIMAL_LINE.fullmatch(result.stdout.strip())
    assert match, f"unexpected output {result.stdout!r} {result.stderr!r}"
    status, seq = match.group(1), match.group(2)
    want = entry["expect"]
    expected_seq = "-" if want["first_bad_seq"] is None else str(want["first_bad_seq"])
    assert (status, seq) == (want["status"], expected_seq), result.stderr
    assert result.returncode == EXIT_CODES[status]
    for line in result.stderr.splitlines():  # never an empty reason
        assert re.fullmatch(r"  \w+: [A-Z_]+ at seq (-|\d+): \S.*", line), line
