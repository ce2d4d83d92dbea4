"""A copied ledger adds no credit: a session is counted once however many files
hold it (a byte copy, or one file named twice), and every output names the copy
(SESSION_COPY). Real sessions driven through the real app (tests/reportsite.py)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from tests.reportsite import two_reviewers
from tests.test_forensics_report import run_report


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return two_reviewers(tmp_path_factory.mktemp("copies"))


def _first_ledger(site):
    return sorted(site["ledgers"].glob("*.ledger"))[0]


def _json(site, tmp_path, *ledgers) -> dict:
    out = tmp_path / "r.json"
    result = run_report(site, *ledgers, out=out)
    assert result.exit_code == 0, result.output  # a copy is not tampering
    return json.loads(out.read_text(encoding="utf-8"))


def _counts(report: dict) -> tuple:
    rs = report["summary"]["reviewers"]
    per_reviewer = sorted((r["who"], r["sessions"], r["on_screen_us"], r["lines_seen"]) for r in rs)
    per_session = sorted(s["who"] for s in report["summary"]["sessions"])
    return per_reviewer, per_session, len(report["ledgers"])


@pytest.mark.parametrize("how", ["byte copy", "named twice"])
def test_a_copied_ledger_counts_once_and_is_named_a_copy(site, tmp_path, how):
    honest = _counts(_json(site, tmp_path, site["ledgers"]))
    first = _first_ledger(site)
    if how == "byte copy":
        copy = tmp_path / "copy.ledger"
        shutil.copyfile(first, copy)
    else:
        copy = site["ledgers"] / "." / first.name
    report = _json(site, tmp_path, site["ledgers"], copy)
    assert _counts(report) == honest
    (found,) = report["sessions"]
    assert found["code"] == "SESSION_COPY" and found["severity"] == "warning"
    assert ("is a copy of" if how == "byte copy" else "is given twice") in found["message"]
    for fmt in ("html", "csv", "jsonl"):
        out = tmp_path / f"r.{fmt}"
        run_report(site, site["ledgers"], copy, out=out)
        assert "SESSION_COPY" in out.read_text(encoding="utf-8"), fmt


def test_who_viewed_counts_a_copied_session_once(site, tmp_path):
    copy = tmp_path / "copy.ledger"
    shutil.copyfile(_first_ledger(site), copy)

    def who(*ledgers) -> dict:
        args = ["who-viewed", "src/long.py", *map(str, ledgers), "--trust", str(site["trust"]),
                "--snapshot", str(site["snap"]), "--no-cache", "--json"]  # fmt: skip
        out = CliRunner().invoke(main, args, catch_exceptions=False)
        assert out.exit_code in (0, 1), out.output
        return json.loads(out.stdout)

    honest, copied = who(site["ledgers"]), who(site["ledgers"], copy)
    assert honest["sightings"] and copied["sightings"] == honest["sightings"]
    assert "SESSION_COPY" in json.dumps(copied) and "SESSION_COPY" not in json.dumps(honest)
