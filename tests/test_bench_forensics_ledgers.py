"""The forensics benchmark's ledgers are honest evidence: a workstation's chain of
synthetic sessions verifies INTACT one by one and as a set. A benchmark over
ledgers that carry a finding measures a different path from the one responders
use (format 1 of the generator gave SESSION_ORDER over its 100 ledgers)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.ledger.sessions import check_sessions
from cleanroom.ledger.verdict import Status
from cleanroom.ledger.verify import verify_path
from tests.ledgerkit import seeded_key

ROOT = Path(__file__).resolve().parents[1]


def _load_bench():
    path = ROOT / "scripts" / "bench" / "forensics.py"
    spec = importlib.util.spec_from_file_location("bench_forensics", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_forensics", module)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def test_one_workstations_sessions_form_a_clean_chain(tmp_path: Path) -> None:
    files = bench.snapshot_files()
    made = bench.build_chain((tmp_path, 3, 3, 40, "snap-id:root", files))
    vendor = seeded_key("bench-forensics/vendor").public_key()
    write_public_key(tmp_path / "vendor.pub", vendor, role=Role.VENDOR_ROOT)
    verdicts = [verify_path(Path(p), [vendor.public_bytes_raw()], workers=1) for p in made]
    assert [v.status for v in verdicts] == [Status.INTACT] * 3, [v.findings for v in verdicts]
    assert check_sessions(verdicts) == []


def test_sessions_of_a_workstation_keep_both_clocks_in_step() -> None:
    """Each session starts later than the one before by the monotonic clock as by
    the wall clock: the gap between starts is the same on both."""
    gap = (40 + 100) * bench.STEP_US
    assert bench.mono_at(bench.START_US + gap) - bench.mono_at(bench.START_US) == gap
