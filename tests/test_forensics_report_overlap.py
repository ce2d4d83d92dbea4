"""The report's analysis runs while the verifier works, and changes nothing.

`cleanroom report` passes `analyse` to `read_evidence`, so each ledger's entries
are decoded and analysed (screen intervals, dwell, figures) in the main process
while the pool workers verify the same rows. Here the pool is forced onto small
ledgers (the size threshold patched down) and the report built that way is
compared with one built after verification; a TAMPERED ledger keeps neither its
entries nor their analysis unless they are asked for.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cleanroom.forensics.report import Analysis, analyse, build_report
from cleanroom.forensics.report_json import report_to_json
from cleanroom.forensics.timeline import read_evidence, read_timeline
from cleanroom.ledger import verify
from cleanroom.ledger.verdict import Status
from cleanroom.session.events import Active, FileOpen, Idle, View
from tests.ledgerkit import Kit, forge

BLOB = "ab" * 32


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> None:
    assert threading.active_count() == 1, "fork is refused beside other threads"
    monkeypatch.setattr(verify, "PARALLEL_MIN_ROWS", 1)


def session(kit: Kit, directory: Path, seal: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    ledger = kit.new_ledger(directory)
    for i in range(3):
        ledger.append(FileOpen(f"src/f{i}.c".encode(), BLOB, 9000, 300, {}))
        for first in range(1, 200, 20):
            ledger.append(View(f"src/f{i}.c".encode(), BLOB, first, first + 39, 0, 100))
        ledger.append(Idle(300))
        ledger.append(Active(5))
    if seal:
        ledger.seal(countersigner=kit.reviewer)
    else:
        ledger.close()
    return ledger.path


def without_time(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "generated"}


def test_analysed_while_verifying_equals_analysed_after(pool, kit: Kit, tmp_path: Path) -> None:
    paths = [session(kit, tmp_path / "a"), session(kit, tmp_path / "b", seal=False)]
    during = read_evidence(paths, kit.trust, analyse=analyse, workers=2)
    after = read_evidence(paths, kit.trust, workers=2)
    assert [t.status for t in during.timelines] == [Status.INTACT, Status.INCOMPLETE]
    assert all(isinstance(t.analysis, Analysis) for t in during.timelines)
    assert all(t.analysis is None for t in after.timelines)
    a = report_to_json(build_report(during, kit.trust))
    b = report_to_json(build_report(after, kit.trust))
    assert without_time(a) == without_time(b)
    assert a["ledgers"][0]["stats"]["views"] == 30


@pytest.mark.parametrize("include", [False, True])
def test_a_tampered_ledger_keeps_its_analysis_only_when_included(
    pool, kit: Kit, tmp_path: Path, include: bool
) -> None:
    path = session(kit, tmp_path / "t")
    forge(path, 5, None, wall_us=1)  # the signature no longer matches
    t = read_timeline(path, kit.trust, include_tampered=include, workers=2, analyse=analyse)
    assert t.status is Status.TAMPERED
    assert t.withheld is not include
    if include:
        assert isinstance(t.analysis, Analysis) and len(t.entries) == 41
    else:
        assert t.analysis is None and t.entries == []


def test_analyse_is_called_once_per_ledger_even_without_a_pool(kit: Kit, tmp_path: Path) -> None:
    path = session(kit, tmp_path / "s")
    seen: list[int] = []
    t = read_timeline(path, kit.trust, workers=1, analyse=lambda e, u: seen.append(len(e)))
    assert seen == [len(t.entries)] == [41]
