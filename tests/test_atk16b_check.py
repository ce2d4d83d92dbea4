"""atk16b (session 14): `notes check` after ADR 0410, attacked from outside with
characters its normalisation may miss, and innocent prose it may start to flag.

Real ledgers, real signed snapshots, the real command, one ledger holding every
variant (one check). Write-up: docs/attacks/atk16-session14.md."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from tests.ledgerkit import Kit
from tests.noteskit import (
    DESCRIBES,
    QUOTE,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    setup,
)

# QUOTE (66 characters of ring.c, line 14) disguised; each is found by ADR 0410
HELD = {
    "line separator U+2028": QUOTE.replace(" ", "\u2028"),
    "paragraph separator U+2029": QUOTE.replace(" ", "\u2029"),
    "NEL U+0085": QUOTE.replace(" ", "\x85"),
    "CRLF": QUOTE.replace(" ", "\r\n"),
    "tabs": QUOTE.replace(" ", "\t\t"),
    "information separator U+001C": QUOTE.replace(" ", "\x1c"),
    "NBSP, ZWJ and a soft hyphen": QUOTE.replace(" ", "\xa0\u200d").replace("head", "he\xadad"),
    "invisible plus inside a word": QUOTE.replace("ring", "ri\u2064ng"),
    "a tag character inside a word": QUOTE.replace("ring", "ri\U000e0020ng"),
    "Hangul filler for each space": QUOTE.replace(" ", "\u3164"),
}
# still hidden: a nonspacing mark leaves the letter readable, and NFD then dropping
# the marks (Mn) gives the source back; fullwidth forms are undone by NFKC
MISSED = {
    "combining low line after each character": "".join(c + "\u0332" for c in QUOTE),
    "combining diaeresis on every fifth": "".join(
        c + ("\u0308" if i % 5 == 0 else "") for i, c in enumerate(QUOTE)
    ),
    "fullwidth forms": "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in QUOTE),
}
# prose that quotes nothing, with the same characters: must stay clean
INNOCENT = {
    "odd spaces": DESCRIBES.replace(" ", "\u2028"),
    "invisible characters": DESCRIBES.replace(" ", " \u200b").replace("head", "he\xadad"),
    "controls": DESCRIBES.replace(" ", "\x01 \x1c"),
    "one byte": "x",
    "empty body": "",
    "blanks only": "\u3164\u2800 \u200b",
}
CASES = list(HELD.items()) + list(MISSED.items()) + list(INNOCENT.items())


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("atk16b-check")
    files = setup(Kit("atk16b-check"), tmp, [note(i + 1, b) for i, (_, b) in enumerate(CASES)])
    out = CliRunner().invoke(
        main,
        ["notes", "check", str(files["ledger"]), "--snapshot", str(files["snapshot"]),
         "--trust", str(files["trust"]), "--no-cache", "--json"],
    )  # fmt: skip
    doc = json.loads(out.stdout)
    assert doc["skipped"] == [] and len(doc["notes"]) == len(CASES), out.output
    by_id = {n["note"]: n for n in doc["notes"]}
    return {name: by_id[f"{i + 1:032x}"] for i, (name, _) in enumerate(CASES)}


@pytest.mark.parametrize("name", list(HELD))
def test_a_disguised_quote_is_found_with_its_place(checked, name):
    (fragment,) = checked[name]["fragments"]
    assert fragment["text"] == QUOTE
    assert fragment["places"] == [{"path": "drivers/frob/ring.c", "line": 14}]


@pytest.mark.xfail(
    strict=True,
    reason="atk16b finding: ADR 0410 keeps nonspacing marks (Mn) and does not fold "
    "compatibility forms (NFKC), so a quote with a mark after its letters, or in "
    "fullwidth forms, is not found; the JSON export keeps it, and dropping the marks "
    "or NFKC gives the source back (threat model names look-alikes, not marks)",
)
@pytest.mark.parametrize("name", list(MISSED))
def test_a_quote_with_marks_or_fullwidth_forms_is_found(checked, name):
    assert [f["text"] for f in checked[name]["fragments"]] == [QUOTE]


@pytest.mark.parametrize("name", list(INNOCENT))
def test_prose_with_odd_characters_is_not_flagged(checked, name):
    assert checked[name]["fragments"] == []
