"""Outside attack on issue 10: scripts/verify_minimal.py read the ledger and its
`-wal` whole. A sparse 3 GB `-wal` (a few KB on disk) cost 3.18 GB of RSS and
58 s, and under a memory limit it said TAMPERED CORRUPT with an empty reason,
where `cleanroom verify` says INTACT with SIDECAR. Now it reads sizes and
headers first and copies a `-wal` in bounded chunks of its data, keeping holes
(SQLite itself ignores a `-wal` whose header is not valid); both verifiers agree.
"""

from __future__ import annotations

import re
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.ledger.verify import verify_path
from tests.attack.test_reading_bounds import SPARSE, _sparse_supported
from tests.forensicskit import trust_file
from tests.ledgerkit import Kit

KIT = Kit("attack-minimal-bounds")
MINIMAL = Path(__file__).resolve().parents[2] / "scripts" / "verify_minimal.py"
LINE = re.compile(r"(INTACT|TAMPERED|INCOMPLETE) first_bad_seq=(-|\d+) codes=(\S+)")
MEMORY = 1 << 30  # address space: a third of the sparse -wal
SECONDS = 60


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _sealed(root: Path) -> Path:
    ledger = KIT.new_ledger(root, views=3)
    ledger.seal(countersigner=KIT.reviewer)
    return ledger.path


def _crashed(root: Path) -> Path:
    """An unsealed ledger with the -wal its writer left (a valid WAL header)."""
    (root / "live").mkdir()
    ledger = KIT.new_ledger(root / "live", views=3)
    for p in ledger.path.parent.iterdir():
        shutil.copyfile(p, root / p.name)
    ledger.close()
    assert Path(f"{root / ledger.path.name}-wal").exists()
    return root / ledger.path.name


def minimal(ledger: Path, trust: Path, limited: bool) -> tuple[str, list[str], str]:
    result = subprocess.run(
        [sys.executable, str(MINIMAL), str(ledger), "--trust", str(trust)],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        preexec_fn=_limit if limited else None,
    )
    match = LINE.fullmatch(result.stdout.strip())
    assert match, (result.stdout, result.stderr)
    for line in result.stderr.splitlines():  # every finding gives its reason
        assert re.fullmatch(r"  \w+: [A-Z_]+ at seq (-|\d+): \S.*", line), line
    return match.group(1), match.group(3).split(","), result.stderr


@pytest.mark.parametrize("limited", [False, True], ids=["unlimited", "ulimit-1GB"])
@pytest.mark.parametrize("shape", ["sealed", "crashed"])
def test_a_sparse_wal_costs_little_and_both_verifiers_agree(
    tmp_path: Path, shape: str, limited: bool
) -> None:
    if not _sparse_supported(tmp_path):
        pytest.skip("this file system has no sparse files")
    ledger = (_sealed if shape == "sealed" else _crashed)(tmp_path)
    with open(f"{ledger}-wal", "ab") as f:
        f.truncate(SPARSE)
    trust = trust_file(KIT, tmp_path)
    verdict = verify_path(ledger, KIT.trust, workers=1)
    status, codes, stderr = minimal(ledger, trust, limited)
    assert (status, sorted(codes)) == (verdict.status.value, sorted(verdict.codes())), stderr
    want = {"sealed": ("INTACT", "SIDECAR"), "crashed": ("INCOMPLETE", "TORN_WRITE")}[shape]
    assert status == want[0] and want[1] in codes, stderr


def first_bad_seq(stdout: str) -> str:
    match = LINE.fullmatch(stdout.strip())
    assert match, stdout
    return match.group(2)


@pytest.mark.parametrize("keep", [0, 100, 4200, 5000, 7000, 8000, -1])
def test_a_cut_ledger_gets_the_same_first_bad_entry_from_both(tmp_path: Path, keep: int) -> None:
    """Outside attack (second round): cut inside the entries b-tree, SQLite fails
    part way through the rows. The spec (5.1 step 3) says reading stops there and
    the rows read are still checked; the minimal verifier dropped them and named
    no first bad entry where `cleanroom verify` named entry 0."""
    (tmp_path / "whole").mkdir()
    whole = _sealed(tmp_path / "whole")
    cut = tmp_path / "cut.ledger"
    data = whole.read_bytes()
    cut.write_bytes(data[:keep] if keep >= 0 else data[: len(data) // 2])
    trust = trust_file(KIT, tmp_path)
    verdict = verify_path(cut, KIT.trust, workers=1)
    result = subprocess.run(
        [sys.executable, str(MINIMAL), str(cut), "--trust", str(trust)],
        capture_output=True,
        text=True,
        timeout=SECONDS,
    )
    seqs = [f.seq for f in verdict.findings if f.seq is not None and f.severity != "warning"]
    want = str(min(seqs)) if seqs else "-"
    status = LINE.fullmatch(result.stdout.strip())
    assert status and status.group(1) == verdict.status.value, (result.stdout, verdict.findings)
    assert first_bad_seq(result.stdout) == want, (result.stdout, result.stderr, verdict.findings)


def test_a_directory_is_a_usage_error_for_both(tmp_path: Path) -> None:
    """`cleanroom verify` says a directory holds no ledger (usage, exit 2); the
    minimal verifier called it a TAMPERED file that is not SQLite."""
    (tmp_path / "x.ledger").mkdir()
    trust = trust_file(KIT, tmp_path)
    result = subprocess.run(
        [sys.executable, str(MINIMAL), str(tmp_path / "x.ledger"), "--trust", str(trust)],
        capture_output=True,
        text=True,
        timeout=SECONDS,
    )
    assert result.returncode == 2 and "directory" in result.stderr, result


def test_a_view_named_like_a_pragma_never_runs(tmp_path: Path) -> None:
    """A hostile schema may hold a view named `pragma_application_id`, and SQLite
    resolves that name to the view before the pragma. The minimal verifier read the
    ids before judging the schema, so the view ran: an endless one held it until its
    600 s deadline. Spec 5.1 step 2: nothing but the exact schema is ever queried."""
    ledger = tmp_path / "x.ledger"
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
    with sqlite3.connect(ledger) as con:
        con.execute(f"CREATE VIEW pragma_application_id AS {endless} SELECT count(*) FROM n")
    con.close()
    verdict = verify_path(ledger, KIT.trust, workers=1)
    status, codes, _ = minimal(ledger, trust_file(KIT, tmp_path), limited=False)
    assert (status, codes) == (verdict.status.value, verdict.codes()) == ("TAMPERED", ["SCHEMA"])
