"""Second outside attack on issue 16 (session 14, docs/attacks/atk16-session14.md):
what a release signed with the trusted vendor key can still state falsely, and
what the nonce (ADR 0409) hides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.release.document import sign_release
from tests.ledgerkit import Kit
from tests.noteskit import (
    DESCRIBES,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    setup,
)

ID = [f"{n:032x}" for n in range(3)]
ODD = b"drivers/frob/\xffring.c"  # a name that is not UTF-8: released with path_b64


def run(args: list[str]) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


def released(tmp: Path) -> tuple[Kit, dict, dict]:
    kit = Kit("atk16b-path")
    files = setup(kit, tmp, [note(1, DESCRIBES, path=ODD)])
    dec = tmp / "decisions.json"
    dec.write_text(json.dumps({"decisions": [{"note": ID[1], "decision": "release"}]}))
    out = tmp / "r.release"
    result = run(
        ["notes", "release", files["ledger"], "--snapshot", files["snapshot"],
         "--trust", files["trust"], "--vendor-key", files["vendor_key"],
         "--decisions", dec, "--released-by", "V", "--org", "O", "-o", out]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return kit, files, json.loads(out.read_bytes())["release"]


@pytest.mark.parametrize("decision", ["release", "redact"])
def test_a_path_that_is_not_its_path_b64_is_refused(tmp_path, decision):
    """docs/notes-release.md §2: with `path_b64`, `path` is that name with U+FFFD for
    each byte that is not UTF-8, and §4: a released note's place is exactly the
    recorded one. The hash covers `path_b64` only, so a signed release could name
    another file in `path`, which the Markdown export and `notes verify` show."""
    kit, files, body = released(tmp_path)
    n = body["notes"][0]
    assert n["path"] == "drivers/frob/\ufffdring.c" and "path_b64" in n
    if decision == "redact":
        n.pop("nonce")
        n.update(decision="redact", title="A finding", redacted=["title"])
    n["path"] = "tools/main.c"  # what a reader of the release is told
    forged = tmp_path / "forged.release"
    forged.write_bytes(sign_release(body, kit.vendor))
    result = run(["notes", "verify", forged, "--trust", files["trust"]])
    assert result.exit_code == 1 and "RELEASE_FORMAT" in result.output, result.output
