"""atk16: issue 16's notes path attacked from outside, through the real commands.

Real ledgers (tests/noteskit.py), a real signed snapshot, a real vendor key and the
real `cleanroom notes release|export` commands; each test names the fault it tries.
Reproducer: scripts/attack/atk16_probe.py. Write-up: docs/attacks/atk16-session13.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.release.document import sign_release
from tests.ledgerkit import Kit, seeded_key
from tests.noteskit import (
    QUOTE,
    name_of,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    published_payload,
    setup,
)

RLO = "\u202e"
# A title a Markdown viewer turns into U+202E (RIGHT-TO-LEFT OVERRIDE) and an <img>
# although the sanitizer never lets the characters themselves through.
ENTITY_TITLE = "Overflow in &rlm;ring.c&lrm; at &ZeroWidthSpace;head &#x202E;x"
SECRET_TITLE = "Hard-coded key in frob_ring_copy_from_user"
EVENTS = [
    note(1, "harmless body", title=ENTITY_TITLE),
    note(2, f"bidi {RLO}evil\u202c and NUL \x00 and [click](https://evil.example/x)"),
    note(3, "The wrap lets head pass the frames.", title=SECRET_TITLE),
]
ID = [f"{n:032x}" for n in range(4)]
DECISIONS = {
    "decisions": [
        {"note": ID[1], "decision": "release"},
        {"note": ID[2], "decision": "release"},
        {"note": ID[3], "decision": "redact", "title": "A finding in the ring code"},
    ]
}


def release_args(files: dict, out: Path, decisions: Path) -> list[str]:
    return [
        "notes", "release", str(files["ledger"]), "--snapshot", str(files["snapshot"]),
        "--trust", str(files["trust"]), "--vendor-key", str(files["vendor_key"]),
        "--decisions", str(decisions), "--released-by", "V", "--org", "O", "-o", str(out),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("atk16")
    files = setup(Kit("atk16"), tmp, EVENTS)
    dec = tmp / "decisions.json"
    dec.write_text(json.dumps(DECISIONS))
    files["release"] = tmp / "findings.release"
    out = CliRunner().invoke(main, release_args(files, files["release"], dec))
    assert out.exit_code == 0, out.output
    return files


def export(files: dict, target: Path) -> str:
    out = CliRunner().invoke(
        main,
        ["notes", "export", str(files["release"]), "--trust", str(files["trust"]),
         "-o", str(target)],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    return target.read_text(encoding="utf-8")


def test_markdown_titles_carry_no_html_entities(made, tmp_path):
    """An entity reference is Markdown's way to write a character: `&rlm;` is U+200F
    (a bidi mark) and `&ZeroWidthSpace;` U+200B, both of which the sanitizer turns
    into tags. The `#` escape already defuses numeric references; named ones pass
    unless the `&` is escaped, so a viewer shows the text as typed."""
    md = export(made, tmp_path / "f.md")
    heading = next(line for line in md.splitlines() if "Overflow" in line)
    assert re.search(r"(?<!\\)&", heading) is None, heading  # every & escaped
    assert "\\&rlm;ring" in heading


def test_sarif_message_text_is_sanitized(made, tmp_path):
    """SARIF viewers show message.text: a note's bidi controls and NUL must arrive
    as the sanitizer's tags, as in every other place a note is shown."""
    doc = json.loads(export(made, tmp_path / "f.sarif"))
    texts = [r["message"]["text"] for r in doc["runs"][0]["results"]]
    joined = "\n".join(texts)
    assert RLO not in joined and "\x00" not in joined and "\u202c" not in joined
    assert any("⟨RLO⟩" in t for t in texts)


def test_withheld_and_redacted_text_never_in_any_export(made, tmp_path):
    for suffix in (".sarif", ".md", ".json"):
        text = export(made, tmp_path / f"f{suffix}")
        assert SECRET_TITLE not in text and QUOTE not in text


def test_a_redacted_title_cannot_be_confirmed_from_the_release(made):
    """atk16 finding 1: version_hash was SHA-256 over a payload whose every other field
    a redacted note publishes, so a guessed title was confirmed in one try. Each
    version now carries a random nonce (ADR 0409) that the release publishes only
    for released notes: the same recomputation confirms a released note's text and
    cannot confirm the right guess of a redacted one."""
    doc = json.loads(made["release"].read_bytes())["release"]
    released = next(x for x in doc["notes"] if x["note"] == ID[1])
    assert name_of(published_payload(released)) == released["version_hash"]  # it works
    n = next(x for x in doc["notes"] if x["note"] == ID[3])
    assert n["decision"] == "redact" and "nonce" not in n
    guess = published_payload(n, title=SECRET_TITLE)  # the right guess, no nonce
    assert name_of(guess) != n["version_hash"]
    withheld = [x for x in doc["notes"] if x["decision"] == "withhold"]
    assert all("nonce" not in x for x in withheld)


def test_export_never_replaces_an_existing_file_without_force(made, tmp_path):
    """`notes release` never overwrites its output; `notes export` replaced any file
    at -o silently (a vendor's earlier, different export, say). Now only --force
    does, and a symlink there is replaced itself, its target untouched."""
    target = tmp_path / "f.md"
    target.write_text("the vendor's own file\n")
    args = ["notes", "export", str(made["release"]), "--trust", str(made["trust"])]
    out = CliRunner().invoke(main, [*args, "-o", str(target)])
    assert out.exit_code == 2 and "exists" in out.output
    assert target.read_text() == "the vendor's own file\n"
    victim = tmp_path / "victim.txt"
    victim.write_text("victim\n")
    (tmp_path / "link.md").symlink_to(victim)
    out = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "link.md")])
    assert out.exit_code == 2 and victim.read_text() == "victim\n"
    out = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "link.md"), "--force"])
    assert out.exit_code == 0, out.output
    assert victim.read_text() == "victim\n" and not (tmp_path / "link.md").is_symlink()
    out = CliRunner().invoke(main, [*args, "-o", str(target), "--force"])
    assert out.exit_code == 0 and "# Review findings" in target.read_text()


@pytest.mark.parametrize(
    "change",
    [
        lambda notes: notes.reverse(),  # out of the order §2 defines
        lambda notes: notes[1].update(seq=notes[0]["seq"]),  # two notes at one entry
    ],
)
def test_a_signed_release_out_of_order_is_refused(made, tmp_path, change):
    """§2: notes are ordered by ledger then seq. Signed by the trusted vendor key, so
    only the format check can say the object is not a release as §2 defines it."""
    doc = json.loads(made["release"].read_bytes())
    change(doc["release"]["notes"])
    bad = tmp_path / "bad.release"
    bad.write_bytes(sign_release(doc["release"], seeded_key("atk16/vendor")))
    out = CliRunner().invoke(main, ["notes", "verify", str(bad), "--trust", str(made["trust"])])
    assert out.exit_code == 1 and "RELEASE_FORMAT" in out.output, out.output
    assert "ordered by ledger, then seq" in out.output


@pytest.mark.parametrize("title", ["", "   ", "first line\nsecond line", "a\rb"])
def test_a_replacement_title_keeps_the_note_format(made, tmp_path, title):
    """A note's title is one line of 1 to 200 characters (docs/notes.md); a vendor's
    replacement in a decisions file was held only to the 200, so a release could
    carry an empty or multi-line title no terminal could have written."""
    files = dict(made)
    dec = tmp_path / "dec.json"
    dec.write_text(json.dumps({"decisions": [
        {"note": ID[3], "decision": "redact", "title": title}]}))  # fmt: skip
    out = CliRunner().invoke(main, release_args(files, tmp_path / "r.release", dec))
    assert out.exit_code == 2 and "one line, not empty" in out.output, out.output
    assert not (tmp_path / "r.release").exists()
