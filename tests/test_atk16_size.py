"""atk16: a release too big for any verifier. 10,000 notes of 16 KiB made a 145 MiB
release that `notes verify` refuses (RELEASE_TOO_BIG, over 64 MiB): see
scripts/attack/atk16_many.py. `notes release` must refuse to write it, not sign and
write a file no one can verify.

At full size the test costs about a minute of CPU (the canonical encoder escapes a
control character slowly), so the limit, one constant shared by the writer and the
verifier, is lowered to 64 KiB in both; the ledger, keys and commands are real.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main, notes_release
from cleanroom.release import verify as release_verify
from tests.ledgerkit import Kit
from tests.noteskit import (
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    setup,
)

LIMIT = 64 << 10
N = 5  # five notes of 16 KiB: 80 KiB of text


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(notes_release, "MAX_RELEASE", LIMIT, raising=False)
    monkeypatch.setattr(release_verify, "MAX_RELEASE", LIMIT)


def release(files: dict, tmp_path, n: int) -> tuple[object, object]:
    dec = tmp_path / "dec.json"
    dec.write_text(json.dumps({"decisions": [
        {"note": f"{i + 1:032x}", "decision": "release"} for i in range(n)]}))  # fmt: skip
    out_file = tmp_path / "r.release"
    out = CliRunner().invoke(
        main,
        ["notes", "release", str(files["ledger"]), "--snapshot", str(files["snapshot"]),
         "--trust", str(files["trust"]), "--vendor-key", str(files["vendor_key"]),
         "--decisions", str(dec), "--released-by", "V", "--org", "O", "--no-cache",
         "-o", str(out_file)],
    )  # fmt: skip
    verdict = None
    if out_file.exists():
        verdict = CliRunner().invoke(
            main, ["notes", "verify", str(out_file), "--trust", str(files["trust"])]
        )
    return out, verdict


def test_release_refuses_to_write_what_no_verifier_reads(tmp_path, small_limit):
    files = setup(Kit("atk16s"), tmp_path, [note(i + 1, "frob " * 3276) for i in range(N)])
    out, verdict = release(files, tmp_path, N)
    assert verdict is None, f"written ({out.exit_code}); verify says: {verdict.output}"
    assert out.exit_code == 2 and "a verifier reads" in out.output


def test_a_release_under_the_limit_is_written_and_verifies(tmp_path, small_limit):
    """The control: the same notes, two of them, fit and verify."""
    files = setup(Kit("atk16s"), tmp_path, [note(i + 1, "frob " * 3276) for i in range(2)])
    out, verdict = release(files, tmp_path, 2)
    assert out.exit_code == 0 and verdict is not None and verdict.exit_code == 0, out.output
