"""Every tamper case of tests/tamper_cases.py against the verifier.

For each case the genuine ledger is verified first, so a case passes only when
the tampering step is what the verifier caught.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ledgerkit import Kit
from tests.tamper_cases import BY_NAME, CASES, Case, Scene, scratch_parent

TAMPERING = [c for c in CASES if c.tamper is not None]


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cleanroom-tamper-", dir=scratch_parent()) as d:
        yield Path(d)


def ids(case: Case) -> str:
    return case.name


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_verdict_matches_expectation(case: Case, workdir: Path) -> None:
    scene = case.make(Kit(), workdir / case.name)
    verdict = scene.verify()  # raising is a failure too: the verifier must answer
    assert case.expect.problems(verdict) == [], verdict.findings


@pytest.mark.parametrize("case", TAMPERING, ids=ids)
def test_genuine_ledger_is_good_before_tampering(case: Case, workdir: Path) -> None:
    scene: Scene = case.build(Kit(), workdir / case.name)
    verdict = scene.verify()
    assert scene.good.problems(verdict) == [], verdict.findings
    assert case.expect != scene.good, "the tampering must change what the verifier says"


def test_registry_covers_most_of_the_table() -> None:
    numbers = {n for c in CASES for n in c.numbers}
    assert numbers <= set(range(1, 31))
    assert len(numbers) >= 25, sorted(set(range(1, 31)) - numbers)


def test_registry_expectations_are_consistent() -> None:
    for case in CASES:
        e = case.expect
        assert e.first <= e.codes, case.name
        assert bool(e.first) == (e.status != "INTACT"), case.name


def test_findings_name_the_row_holding_the_entry(kit: Kit, workdir: Path) -> None:
    """Row 3 is overwritten with a copy of entry 2: entries 0-2 are untouched, so no
    finding may name them (a finding's seq is the row's, spec §3 and §5.2)."""
    scene = BY_NAME["duplicate_entry_in_place"].make(kit, workdir / "dup")
    named = {f.seq for f in scene.verify().findings}
    assert named and min(named) == 3, scene.verify().findings
