"""`verify_path` reading a ledger in its workers gives the verdict of one pass.

A large ledger is not loaded by the main process: each worker reads its own range
of seqs straight from the file and checks it against the row just before it
(cleanroom/ledger/verify.py). Here that path is forced onto small ledgers (the
size threshold patched to 1, so every ledger is cut into ranges of a few rows,
many of them empty) and its verdict is compared with `verify_image` over the whole
file loaded in one process, for every tamper case and every hostile file.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cleanroom.ledger import verify
from cleanroom.ledger.load import load_path
from cleanroom.ledger.verdict import Verdict
from cleanroom.ledger.verify import verify_image, verify_path
from cleanroom.ledger.witness import Receipt, Witness
from tests.ledgerkit import Kit
from tests.tamper_cases import CASES, Case, scratch_parent
from tests.test_hostile_files import CASES as HOSTILE
from tests.test_hostile_files import KIT as HOSTILE_KIT

# A damaged file fails at another point when read by ranges than when read whole,
# so only its status and the damage finding must agree; everything else, exactly.
DAMAGE = {"CORRUPT", "NOT_SQLITE"}


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Force the read-by-ranges path onto every ledger; count how often it runs."""
    assert threading.active_count() == 1, "fork is refused beside other threads"
    monkeypatch.setattr(verify, "PARALLEL_MIN_ROWS", 1)
    calls: list[int] = []
    real = verify._check_span

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(verify, "_check_span", counted)
    return calls


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cleanroom-par-", dir=scratch_parent()) as d:
        yield Path(d)


def same_verdict(by_ranges: Verdict, whole: Verdict) -> None:
    damaged = DAMAGE & set(whole.codes())
    if damaged:
        assert by_ranges.status is whole.status
        assert damaged & set(by_ranges.codes()), by_ranges.findings
        return
    assert by_ranges.to_json() == whole.to_json()


def compare(
    path: Path,
    trust: list[bytes],
    witnesses: list[Witness],
    receipts: list[Receipt],
    workers: int,
) -> Verdict:
    whole = verify_image(load_path(path), trust, witnesses, receipts, workers=1)
    by_ranges = verify_path(path, trust, witnesses, receipts, workers=workers)
    same_verdict(by_ranges, whole)
    return by_ranges


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_tamper_cases(case: Case, workers: int, workdir: Path, spans: list[int]) -> None:
    scene = case.make(Kit(), workdir / case.name)
    trust = list(scene.trust.values())
    v = compare(scene.path, trust, scene.witnesses, scene.receipts, workers)
    for other in scene.others:
        compare(other, trust, [], [], workers)
    if not ({"EMPTY", "SCHEMA"} | DAMAGE) & set(v.codes()):
        assert spans, "the ledger was not read by ranges"


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files(name: str, tmp_path: Path, spans: list[int]) -> None:
    path = HOSTILE[name].build(tmp_path)
    compare(path, HOSTILE_KIT.trust, [], [], workers=2)


def test_ranges_are_used_and_agree_on_a_longer_ledger(
    kit: Kit, tmp_path: Path, spans: list[int]
) -> None:
    ledger = kit.new_ledger(tmp_path, views=60)
    ledger.seal(countersigner=kit.reviewer)
    v = compare(ledger.path, kit.trust, [], [], workers=2)
    assert spans == [1]
    assert v.status.value == "INTACT" and v.summary["entries"] == 62


def test_a_long_ledger_is_cut_into_more_ranges(
    kit: Kit, tmp_path: Path, spans: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranges of about RANGE_ROWS rows (here 4), at most MAX_SLICES_PER_WORKER a
    worker: more tasks than SLICES_PER_WORKER, and the same verdict."""
    tasks: list[int] = []
    real = verify.forked_map

    def counting(task, count, workers):  # type: ignore[no-untyped-def]
        tasks.append(count)
        return real(task, count, workers)

    monkeypatch.setattr(verify, "forked_map", counting)
    monkeypatch.setattr(verify, "RANGE_ROWS", 4)
    ledger = kit.new_ledger(tmp_path, views=60)
    ledger.seal(countersigner=kit.reviewer)
    v = compare(ledger.path, kit.trust, [], [], workers=2)
    assert v.status.value == "INTACT" and v.summary["entries"] == 62
    assert tasks == [2 * 7 + 1]  # 62 seqs // (4 * 2 workers) = 7 a worker, and quick_check
    monkeypatch.setattr(verify, "MAX_SLICES_PER_WORKER", 5)
    compare(ledger.path, kit.trust, [], [], workers=2)
    assert tasks[1:] == [2 * 5 + 1]
