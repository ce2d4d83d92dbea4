"""The verdict's cap on findings is said in every report format (outside attack
atk14f, LOW 8): a ledger with more bad signatures than the verdict lists shows how
many more there were, per code, as `cleanroom verify` does. Real ledger, real keys."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.findings import PER_CODE
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit, writable

BAD = PER_CODE + 30  # signatures zeroed: 30 more than the verdict lists of one code


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("findings-cap")
    kit = Kit("findings-cap")
    snap = make_snapshot(kit, root / "snap", files={b"a.c": b"int a;\n" * 40})
    with Snapshot.open(snap, kit.trust) as s:
        ref, blob = SnapshotRef(s.id, s.manifest.root), s.stat(b"a.c").blob.hex()
    (root / "ledgers").mkdir()
    ledger = kit.new_ledger(root / "ledgers", snapshot=ref)
    ledger.append(FileOpen(b"a.c", blob, 280, 40, {}))
    for i in range(BAD + 5):
        ledger.append(View(b"a.c", blob, 1 + i % 30, 10 + i % 30, 0, 80))
    ledger.seal(countersigner=kit.reviewer)
    path = ledger.path
    with writable(path) as conn:
        conn.execute("UPDATE entries SET sig = zeroblob(64) WHERE seq BETWEEN 2 AND ?", (BAD + 1,))
    return {"root": root, "ledgers": root / "ledgers", "snap": snap, "trust": trust_file(kit, root)}


def _report(site, suffix: str) -> str:
    out = site["root"] / f"r.{suffix}"
    args = ["report", str(site["ledgers"]), "--snapshot", str(site["snap"]), "--trust",
            str(site["trust"]), "--include-tampered", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return out.read_text(encoding="utf-8")


def test_every_format_says_how_many_findings_it_left_out(site):
    (ledger,) = json.loads(_report(site, "json"))["ledgers"]
    listed = [f for f in ledger["findings"] if f["code"] == "SIGNATURE"]
    left = ledger["findings_omitted"].get("SIGNATURE", 0)
    assert len(listed) == PER_CODE and left > 0 and len(listed) + left >= BAD
    (record,) = [json.loads(x) for x in _report(site, "jsonl").splitlines()[:1]]
    assert record["record"] == "ledger" and record["findings_omitted"]["SIGNATURE"] == left
    for suffix in ("html", "csv"):
        text = _report(site, suffix)
        assert "more findings not listed (" in text and f"SIGNATURE {left:,}" in text, suffix
