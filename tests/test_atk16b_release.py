"""Second outside attack on issue 16 (session 14, docs/attacks/atk16-session14.md):
what a release signed with the trusted vendor key can still state falsely, and
what the nonce (ADR 0409) hides."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
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

ID = [f"{n:032x}" for n in range(4)]
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


# Files past this size fail in the child (EFBIG), as on a full disk. The release's
# notes are control characters, six bytes each in the release (escaped) and fewer in
# the temporary files the check writes, so only the release reaches it (~290 KB).
LIMIT = 150_000


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_a_release_that_cannot_be_written_whole_leaves_no_file(tmp_path):
    """A disk that fills while `notes release` writes: the command fails (exit 2) and
    leaves nothing at -o, not a truncated release that blocks the next run (-o is
    never overwritten) and that a verifier can only call broken. The limit on file
    size is the operating system's real write error, in a real process."""
    notes = [note(i, f"body {i} " + "\x01" * 16000) for i in range(1, 4)]
    files = setup(Kit("atk16b-full"), tmp_path, notes)
    dec = tmp_path / "decisions.json"
    dec.write_text(json.dumps({"decisions": [{"note": i, "decision": "release"} for i in ID[1:]]}))
    out = tmp_path / "r.release"
    args = [sys.executable, "-m", "cleanroom", "notes", "release", files["ledger"],
            "--snapshot", files["snapshot"], "--trust", files["trust"], "--no-cache",
            "--vendor-key", files["vendor_key"], "--decisions", dec,
            "--released-by", "V", "--org", "O", "-o", out]  # fmt: skip
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, preexec_fn=_limited,
        stdin=subprocess.DEVNULL, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "checking notes" in result.stdout + result.stderr  # the check ran: the write failed
    assert "File too large" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists(), (result.stderr, out.stat().st_size)


@pytest.mark.parametrize("field", ["title", "body"])
def test_a_replacement_that_is_not_unicode_text_is_a_usage_error(tmp_path, field):
    """A decisions file may spell a lone surrogate (`\\ud800`), which strict JSON reads
    but no UTF-8 release can hold: it was taken, and signing then failed as an
    internal error (exit 70, `EncodingError`). Now it is the file's fault: exit 2,
    said so, nothing written."""
    files = setup(Kit("atk16b-surrogate"), tmp_path, [note(1, DESCRIBES)])
    dec = tmp_path / "decisions.json"
    dec.write_bytes(
        b'{"decisions": [{"note": "%s", "decision": "redact", "%s": "a\\ud800b"}]}'
        % (ID[1].encode(), field.encode())
    )
    out = tmp_path / "r.release"
    result = run(
        ["notes", "release", files["ledger"], "--snapshot", files["snapshot"],
         "--trust", files["trust"], "--vendor-key", files["vendor_key"],
         "--decisions", dec, "--released-by", "V", "--org", "O", "-o", out]
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"the replacement {field} is not valid Unicode text" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "old, change, code",
    [
        (False, lambda n: n.update(nonce=n["nonce"].upper()), "RELEASE_FORMAT"),  # same bits
        (False, lambda n: n.update(nonce=12345), "RELEASE_FORMAT"),
        (False, lambda n: n.update(nonce=None), "RELEASE_FORMAT"),
        (True, lambda n: n.update(nonce="0" * 32), "RELEASE_VERSION_HASH"),  # an old note's
    ],
)
def test_a_released_nonce_of_another_spelling_is_refused(tmp_path, old, change, code):
    """ADR 0409 with the trusted key in hand: a released note's nonce spelled
    otherwise, or given to a note recorded without one, is refused."""
    kit = Kit("atk16b-nonce")
    files = setup(kit, tmp_path, [note(1, DESCRIBES, nonce="" if old else None)])
    dec = tmp_path / "decisions.json"
    dec.write_text(json.dumps({"decisions": [{"note": ID[1], "decision": "release"}]}))
    out = tmp_path / "r.release"
    result = run(
        ["notes", "release", files["ledger"], "--snapshot", files["snapshot"],
         "--trust", files["trust"], "--vendor-key", files["vendor_key"],
         "--decisions", dec, "--released-by", "V", "--org", "O", "-o", out]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_bytes())["release"]
    assert ("nonce" in body["notes"][0]) is not old
    change(body["notes"][0])
    forged = tmp_path / "forged.release"
    forged.write_bytes(sign_release(body, kit.vendor))
    result = run(["notes", "verify", forged, "--trust", files["trust"]])
    assert result.exit_code == 1 and code in result.output, result.output


@pytest.mark.parametrize(
    "typed, title, body",
    [
        (b"d\nA \xff title\nA title\n.\n", "A title", None),
        (b"d\n\nbody \xff\n.\nA body\n.\n", None, "A body"),
    ],
)
def test_a_byte_that_is_not_utf8_typed_at_the_interactive_release_is_asked_again(
    tmp_path, typed, title, body
):
    """Under the C locale Python reads stdin with surrogateescape, so a byte that is
    not UTF-8 in a replacement typed at the prompt became a lone surrogate: after
    every note was decided, the command failed as an internal error (exit 70) and
    every decision was lost. Now the prompt says so and asks again."""
    files = setup(Kit("atk16b-typed"), tmp_path, [note(1, DESCRIBES)])
    out = tmp_path / "r.release"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONUTF8"))}
    args = [sys.executable, "-m", "cleanroom", "notes", "release", files["ledger"],
            "--snapshot", files["snapshot"], "--trust", files["trust"], "--no-cache",
            "--vendor-key", files["vendor_key"], "--released-by", "V", "--org", "O",
            "-o", out]  # fmt: skip
    result = subprocess.run(
        [str(a) for a in args], input=typed, capture_output=True,
        env={**env, "LC_ALL": "C"}, timeout=300,
    )  # fmt: skip
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert result.returncode == 0, output
    assert output.count("a byte that is not UTF-8 text: type it again") == 1
    (n,) = json.loads(out.read_bytes())["release"]["notes"]
    assert n["decision"] == "redact" and n["redacted"] == [f for f, v in
        (("title", title), ("body", body)) if v]  # fmt: skip
    assert n["title"] == (title or "note 1") and n["body"] == (body or DESCRIBES)
