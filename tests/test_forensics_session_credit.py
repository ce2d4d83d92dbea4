"""A session is credited once however its files are given (ADR 0308): a prefix of
an honest ledger (copied while it was live: no key needed) adds nothing, and a
fork (two branches signed with the session's keys) is credited with the entries
its branches share, never twice. Real ledgers and keys (tests/creditsite.py)."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.credit import entry_hashes
from cleanroom.ledger.keys import Role, load_public_key, raw_public
from cleanroom.ledger.verify import verify_path
from tests.creditsite import build
from tests.test_forensics_report import run_report

FORMATS = ("json", "html", "csv", "jsonl")


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefix")
    site = build(root, "credit", [1, 21, 41, 61, 81], root / "ledgers", copy_after=3)
    return {**site, "ledgers": root / "ledgers", "prefix": root / "prefix.ledger"}


@pytest.fixture(scope="module")
def fork(tmp_path_factory):
    root = tmp_path_factory.mktemp("fork")
    one = build(root / "one", "fork", [1, 21], root / "one" / "ledgers")
    two = build(root / "two", "fork", [1, 61], root / "two" / "ledgers")
    return {**one, "one": one["ledger"], "two": two["ledger"]}


def _report(site, tmp_path, *ledgers, fmt="json"):
    out = tmp_path / f"r.{fmt}"
    result = run_report(site, *ledgers, out=out)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, out.read_text(encoding="utf-8")


def _credit(text: str) -> tuple:
    r = json.loads(text)
    who = [(x["sessions"], x["on_screen_us"], x["lines_seen"]) for x in r["summary"]["reviewers"]]
    return who, len(r["summary"]["sessions"]), len(r["ledgers"])


def _who(site, *ledgers) -> dict:
    args = ["who-viewed", "src/a.c:1-100", *map(str, ledgers), "--trust", str(site["trust"]),
            "--snapshot", str(site["snap"]), "--no-cache", "--json"]  # fmt: skip
    out = CliRunner().invoke(main, args, catch_exceptions=False)
    assert out.exit_code in (0, 1), out.output
    return json.loads(out.stdout)


def _seen(answer: dict) -> list:
    return [(s["ledger"], s["ranges"]) for s in answer["sightings"]]


@pytest.mark.parametrize("order", ["prefix last", "prefix first"])
def test_a_prefix_of_a_session_counts_once_and_is_named_a_prefix(prefix, tmp_path, order):
    _, honest = _report(prefix, tmp_path, prefix["ledgers"])
    given = [prefix["ledgers"], prefix["prefix"]]
    given = given if order == "prefix last" else given[::-1]
    code, text = _report(prefix, tmp_path, *given)
    assert code == 0, "a prefix is no fork: it adds nothing and hides nothing"
    assert _credit(text) == _credit(honest) and _credit(honest)[0][0][2] == 100
    (found,) = json.loads(text)["sessions"]
    assert found["code"] == "SESSION_COPY" and "is a prefix of" in found["message"]
    assert str(prefix["prefix"]) in found["message"]
    for fmt in FORMATS[1:]:
        assert "is a prefix of" in _report(prefix, tmp_path, *given, fmt=fmt)[1], fmt
    assert _seen(_who(prefix, *given)) == _seen(_who(prefix, prefix["ledgers"]))
    assert len(_seen(_who(prefix, *given))) == 1


def test_a_fork_is_credited_once_with_its_common_entries_only(fork, tmp_path):
    alone = [_credit(_report(fork, tmp_path, p)[1]) for p in (fork["one"], fork["two"])]
    assert [a[0][0][2] for a in alone] == [40, 40]  # each branch alone shows 40 lines
    code, text = _report(fork, tmp_path, fork["one"], fork["two"])
    assert code == 1
    # session_start, file_open and the view of lines 1-20 are common (entries 0-2).
    assert _credit(text) == ([(1, 0, 20)], 1, 1)
    (found,) = json.loads(text)["sessions"]
    assert found["code"] == "SESSION_FORK" and "credited once, up to entry 2" in found["message"]
    for fmt in FORMATS:
        out = _report(fork, tmp_path, fork["two"], fork["one"], fmt=fmt)[1]
        assert "up to entry 2" in out, fmt
        assert "lines 1-20" in out or fmt in ("json", "jsonl"), fmt
        assert "lines 21-40" not in out and "lines 61-80" not in out, fmt
    for given in ([fork["one"], fork["two"]], [fork["two"], fork["one"]]):
        answer = _who(fork, *given)
        assert [r for _, r in _seen(answer)] == [[[1, 20]]]
        assert "SESSION_FORK" in json.dumps(answer["sessions"])


def test_entry_hashes_believe_only_the_file_the_verdict_judged(prefix, fork, tmp_path):
    trust = [raw_public(load_public_key(prefix["trust"], role=Role.VENDOR_ROOT))]
    full = verdict = verify_path(prefix["ledger"], trust)
    hashes = entry_hashes(prefix["ledger"], verdict)
    assert hashes is not None and hashes[-1].hex() == full.summary["head"]["hash"]
    # Another file (a prefix, or a fork's other branch) under this verdict: refused.
    assert entry_hashes(prefix["prefix"], verdict) is None
    fork_trust = [raw_public(load_public_key(fork["trust"], role=Role.VENDOR_ROOT))]
    assert entry_hashes(fork["two"], verify_path(fork["one"], fork_trust)) is None
    # Hostile files under a genuine verdict: refused, never a crash.
    for name, data in [("empty", b""), ("one", b"x"), ("junk", os.urandom(9000)),
                       ("truncated", prefix["ledger"].read_bytes()[:6000])]:  # fmt: skip
        (tmp_path / name).write_bytes(data)
        assert entry_hashes(tmp_path / name, verdict) is None, name
    assert entry_hashes(tmp_path / "absent", verdict) is None


def test_a_cached_prefix_is_counted_once_and_not_as_read_from_the_cache(
    prefix, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    args = ["who-viewed", "src/a.c:1-100", str(prefix["ledgers"]), str(prefix["prefix"]),
            "--trust", str(prefix["trust"]), "--snapshot", str(prefix["snap"]),
            "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    for cached in (0, 1):
        out = CliRunner().invoke(main, args, catch_exceptions=False)
        assert out.exit_code == 0, out.output
        assert f"1 (1 intact); {cached} from the cache" in out.output, out.output
        assert out.output.count("\nSEEN ") == 1
