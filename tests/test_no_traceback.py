"""Inputs that used to end in a traceback or a hang (issue 10 §3).

Deeply nested JSON in a signed payload crashed `verify`, `verify --json` and
`who-viewed` with RecursionError (and, in a directory run, lost every other
ledger's verdict); a FIFO named like a sidecar hung who-viewed's cache key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cleanroom.ledger.encoding import CERT_DOMAIN, EncodingError
from cleanroom.ledger.keys import Certificate
from tests.test_evidence_side_effects import CLI, KIT, build_site, run

VECTORS = Path(__file__).resolve().parent / "vectors"
DEEP = VECTORS / "signed_nested_past_recursion.ledger"


@pytest.mark.parametrize("extra", [[], ["--json"]], ids=["text", "json"])
def test_a_deeply_nested_payload_is_an_encoding_finding(tmp_path: Path, extra) -> None:
    ledgers = tmp_path / "ledgers"
    ledgers.mkdir()
    shutil.copy(DEEP, ledgers / "deep.ledger")
    shutil.copy(VECTORS / "sealed.ledger", ledgers / "sealed.ledger")
    trust = VECTORS / "vendor.pub"
    result = run([CLI, "verify", ledgers, "--trust", trust, *extra], tmp_path, tmp_path)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1
    assert "ENCODING" in result.stdout
    assert result.stdout.count("sealed.ledger") >= 1  # the other ledger keeps its verdict


def test_who_viewed_and_report_survive_a_deeply_nested_payload(tmp_path: Path) -> None:
    s = build_site(tmp_path / "site", crashed=False)
    shutil.copy(DEEP, s["ledger"].parent / "deep.ledger")
    trust = VECTORS / "vendor.pub"
    for args in (
        [CLI, "who-viewed", s["target"], s["ledger"].parent / "deep.ledger", "--trust", trust],
        [CLI, "report", s["ledger"].parent / "deep.ledger", "--snapshot", s["snapshot"],
         "--trust", trust, "-o", tmp_path / "r.html", "--include-tampered"],
    ):  # fmt: skip
        result = run(args, tmp_path, tmp_path)
        assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_a_certificate_nested_too_deep_is_unreadable() -> None:
    body = b'{"format":' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(EncodingError):
        Certificate.parse(body, bytes(64))
    body = b'{"format":' + b"[" * 900 + b"]" * 900 + b"}"
    with pytest.raises(EncodingError):
        Certificate.parse(body, KIT.vendor.sign(CERT_DOMAIN + body))


@pytest.mark.parametrize("sidecar", ["-wal", "-journal"])
def test_a_fifo_named_like_a_sidecar_does_not_hang(tmp_path: Path, sidecar: str) -> None:
    s = build_site(tmp_path / "site", crashed=False)
    os.mkfifo(f"{s['ledger']}{sidecar}")
    trust = s["trust"]
    for args in (
        [CLI, "who-viewed", s["target"], s["ledger"], "--trust", trust],
        [CLI, "verify", s["ledger"], "--trust", trust],
        [CLI, "report", s["ledger"], "--snapshot", s["snapshot"], "--trust", trust,
         "-o", tmp_path / "r.json"],
    ):  # fmt: skip
        try:
            result = run(args, tmp_path, tmp_path / "home")
        except subprocess.TimeoutExpired:
            pytest.fail(f"{args[1]} hung on a FIFO named {sidecar}")
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1), result.stdout + result.stderr
