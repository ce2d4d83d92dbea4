"""`cleanroom notes release|verify|export`: the signed release, end to end, and hostile files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.encoding import canonical_json
from cleanroom.release.document import sign_release
from cleanroom.release.verify import verify_release
from tests.ledgerkit import Kit, forge, seeded_key
from tests.noteskit import (
    DESCRIBES,
    QUOTE,
    NoteWithdraw,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    setup,
)

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
ID = [f"{n:032x}" for n in range(5)]


EVENTS = [
    note(1, DESCRIBES),
    note(2, QUOTE, kind="question"),
    note(3, "secret plan " + QUOTE, path=b"drivers/frob/\xffodd.c", first=0, last=0),
    note(4, "taken back"),
    NoteWithdraw(ID[4], 1),
]
DECISIONS = {
    "decisions": [
        {"note": ID[1], "decision": "release"},
        {"note": ID[2], "decision": "withhold"},
        {"note": ID[3], "decision": "redact", "body": "A fault in the odd file (quote removed)."},
    ]
}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """One snapshot and ledger (EVENTS) for the module: tests only read them."""
    return setup(Kit("nr"), tmp_path_factory.mktemp("written"), EVENTS)


@pytest.fixture(scope="module")
def made(written, tmp_path_factory) -> tuple[dict, str]:
    """The release of `written` under DECISIONS, made once: tests only read it."""
    return released(written, tmp_path_factory.mktemp("made"))


def released(files: dict, tmp: Path, decisions: dict | None = None) -> tuple[dict, str]:
    dec = tmp / "decisions.json"
    dec.write_text(json.dumps(decisions or DECISIONS))
    files = {**files, "release": tmp / "findings.release"}
    out = CliRunner().invoke(
        main,
        [
            "notes",
            "release",
            str(files["ledger"]),
            "--snapshot",
            str(files["snapshot"]),
            "--trust",
            str(files["trust"]),
            "--vendor-key",
            str(files["vendor_key"]),
            "--decisions",
            str(dec),
            "--released-by",
            "Vera Vendor",
            "--org",
            "Vendor Inc",
            "-o",
            str(files["release"]),
        ],
    )
    assert out.exit_code == 0, out.output
    return files, out.output


def verify(files: dict, release: Path | None = None) -> object:
    path = release or files["release"]
    return CliRunner().invoke(main, ["notes", "verify", str(path), "--trust", str(files["trust"])])


def test_release_verify_export_round_trip(made, tmp_path):
    files, output = made
    assert "1 released, 1 redacted, 2 withheld" in output
    out = verify(files)
    assert out.exit_code == 0 and "RELEASE_OK" in out.output
    doc = json.loads(files["release"].read_bytes())["release"]
    by_id = {n["note"]: n for n in doc["notes"]}
    assert by_id[ID[1]]["decision"] == "release" and by_id[ID[1]]["body"] == DESCRIBES
    assert by_id[ID[2]].keys() >= {"version_hash"} and "body" not in by_id[ID[2]]
    assert by_id[ID[3]]["redacted"] == ["body"] and QUOTE not in json.dumps(doc)
    assert by_id[ID[4]]["decision"] == "withhold" and by_id[ID[4]]["withdrawn"]
    assert by_id[ID[2]]["checked"]["fragments"] == 1  # the check's finding is on record
    assert doc["released_by"] == {"name": "Vera Vendor", "org": "Vendor Inc"}
    for suffix in (".sarif", ".md", ".json"):
        target = tmp_path / f"findings{suffix}"
        out = CliRunner().invoke(
            main,
            [
                "notes",
                "export",
                str(files["release"]),
                "--trust",
                str(files["trust"]),
                "-o",
                str(target),
            ],
        )
        assert out.exit_code == 0, out.output
        text = target.read_text()
        assert "taken back" not in text and QUOTE not in text  # withheld never leaves
        assert "spin_lock" not in text  # no source snippets
    sarif = json.loads((tmp_path / "findings.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert [r["partialFingerprints"]["cleanroomNote/v1"] for r in results] == [ID[1], ID[3]]
    locs = [r["locations"][0]["physicalLocation"] for r in results]
    assert locs[0] == {
        "artifactLocation": {"uri": "drivers/frob/ring.c"},
        "region": {"startLine": 13, "endLine": 16},
    }
    assert locs[1] == {"artifactLocation": {"uri": "drivers/frob/%FFodd.c"}}  # whole file


def test_the_sarif_schema_check_can_fail(tmp_path):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate({"version": "2.1.0", "runs": [{"results": []}]})


def test_a_tampered_release_fails_with_exit_1(made, tmp_path):
    files, _ = made
    data = files["release"].read_bytes()
    forged = tmp_path / "forged.release"
    forged.write_bytes(data.replace(b"quote removed", b"quote REMOVED"))
    out = verify(files, forged)
    assert out.exit_code == 1 and "RELEASE_BAD_SIGNATURE" in out.output
    export = CliRunner().invoke(
        main,
        [
            "notes",
            "export",
            str(forged),
            "--trust",
            str(files["trust"]),
            "-o",
            str(tmp_path / "x.sarif"),
        ],
    )
    assert export.exit_code == 1 and not (tmp_path / "x.sarif").exists()


def _resigned(data: bytes, change) -> bytes:
    doc = json.loads(data)
    change(doc["release"])
    return sign_release(doc["release"], seeded_key("nr/vendor"))


@pytest.mark.parametrize(
    "mutate, code",
    [
        (lambda d: b"", "RELEASE_NOT_JSON"),
        (lambda d: d[: len(d) // 2], "RELEASE_NOT_JSON"),
        (lambda d: b"\xff\xfe" + d, "RELEASE_NOT_JSON"),
        (lambda d: b"[" * 100_000 + b"]" * 100_000, "RELEASE_TOO_DEEP"),
        (lambda d: b'{"release": 1, "release": 2, "signature": 3}', "RELEASE_DUPLICATE_KEY"),
        (lambda d: d.replace(b'{"release":', b'{"release": 1.5, "release":', 1), "RELEASE_NUMBER"),
        (lambda d: b"[1, 2]", "RELEASE_ENVELOPE"),
        (lambda d: json.dumps(json.loads(d), indent=1).encode(), "RELEASE_NOT_CANONICAL"),
        (lambda d: _resigned(d, lambda r: r.update(extra=1)), "RELEASE_FORMAT"),
        (lambda d: _resigned(d, lambda r: r["notes"].append(r["notes"][0])), "RELEASE_FORMAT"),
        (lambda d: _resigned(d, lambda r: r["notes"][0].update(decision="leak")), "RELEASE_FORMAT"),
        (
            lambda d: sign_release(json.loads(d)["release"], seeded_key("stranger")),
            "RELEASE_UNTRUSTED_KEY",
        ),
    ],
)
def test_hostile_release_files_give_a_code_never_a_traceback(made, tmp_path, mutate, code):
    files, _ = made
    bad = tmp_path / "bad.release"
    bad.write_bytes(mutate(files["release"].read_bytes()))
    out = verify(files, bad)
    assert out.exit_code == 1, out.output
    assert code in out.output and "Traceback" not in out.output


def test_a_huge_release_is_refused_before_parsing():
    verdict = verify_release(b" " * (64 << 20) + b"{}", [])
    assert verdict.code == "RELEASE_TOO_BIG"


def test_an_unreadable_release_is_a_usage_error(made, tmp_path):
    files, _ = made
    out = verify(files, tmp_path)  # a directory
    assert out.exit_code == 2


def test_the_signature_covers_canonical_bytes(tmp_path):
    release = {"a": 1}
    data = sign_release(release, seeded_key("x"))
    assert data == canonical_json(json.loads(data)) + b"\n"


@pytest.mark.parametrize(
    "decisions, message",
    [
        ({"decisions": [{"note": "f" * 32, "decision": "release"}]}, "no such note"),
        ({"decisions": [{"note": ID[4], "decision": "release"}]}, "withdrawn"),
        ({"decisions": [{"note": ID[1], "decision": "release", "version": 7}]}, "not the latest"),
        ({"decisions": [{"note": ID[1], "decision": "redact"}]}, "replacement"),
    ],
)
def test_bad_decisions_are_refused(written, tmp_path, decisions, message):
    with pytest.raises(AssertionError, match=message):
        released(written, tmp_path, decisions)


def test_the_report_has_a_notes_section_with_the_release_decisions(made, tmp_path):
    files, _ = made
    out_json = tmp_path / "report.json"
    args = [
        "report",
        str(files["ledger"]),
        "--snapshot",
        str(files["snapshot"]),
        "--trust",
        str(files["trust"]),
        "--release",
        str(files["release"]),
    ]
    result = CliRunner().invoke(main, [*args, "-o", str(out_json)])
    assert result.exit_code == 0, result.output
    notes = json.loads(out_json.read_text())["notes"]
    assert {n["note"]: n["decision"] for n in notes} == {
        ID[1]: "release",
        ID[2]: "withhold",
        ID[3]: "redact",
        ID[4]: "withhold",
    }
    html = tmp_path / "report.html"
    assert CliRunner().invoke(main, [*args, "-o", str(html)]).exit_code == 0
    assert '<section id="notes">' in html.read_text() and QUOTE not in html.read_text()
    plain = CliRunner().invoke(main, [*args[:-2], "-o", str(out_json)])
    assert {n["decision"] for n in json.loads(out_json.read_text())["notes"]} == {"written"}
    assert plain.exit_code == 0


def test_the_report_refuses_a_forged_release(made, tmp_path):
    files, _ = made
    forged = tmp_path / "forged.release"
    forged.write_bytes(files["release"].read_bytes().replace(b"Vera", b"Vlad"))
    out = CliRunner().invoke(
        main,
        [
            "report",
            str(files["ledger"]),
            "--snapshot",
            str(files["snapshot"]),
            "--trust",
            str(files["trust"]),
            "--release",
            str(forged),
            "-o",
            str(tmp_path / "r.json"),
        ],
    )
    assert out.exit_code == 1 and "RELEASE_BAD_SIGNATURE" in out.output


def _release_args(files: dict, out: Path, decisions: Path) -> list[str]:
    return [
        "notes",
        "release",
        str(files["ledger"]),
        "--snapshot",
        str(files["snapshot"]),
        "--trust",
        str(files["trust"]),
        "--vendor-key",
        str(files["vendor_key"]),
        "--decisions",
        str(decisions),
        "--released-by",
        "V",
        "--org",
        "O",
        "-o",
        str(out),
    ]


def test_undecided_notes_are_withheld_and_said_so(tmp_path):
    kit = Kit("nr8")
    files = setup(kit, tmp_path, [note(1, DESCRIBES)])
    dec = tmp_path / "d.json"
    dec.write_text('{"decisions": []}')
    out = CliRunner().invoke(main, _release_args(files, tmp_path / "r.release", dec))
    assert out.exit_code == 0, out.output
    assert f"withheld (no decision): note {ID[1]}" in out.output
    notes = json.loads((tmp_path / "r.release").read_bytes())["release"]["notes"]
    assert [n["decision"] for n in notes] == ["withhold"] and "body" not in notes[0]


def test_a_release_is_never_overwritten(tmp_path):
    kit = Kit("nr9")
    files = setup(kit, tmp_path, [note(1, DESCRIBES)])
    dec = tmp_path / "d.json"
    dec.write_text('{"decisions": []}')
    target = tmp_path / "r.release"
    target.write_bytes(b"keep me")
    out = CliRunner().invoke(main, _release_args(files, target, dec))
    assert out.exit_code == 2 and target.read_bytes() == b"keep me"


def test_a_tampered_ledger_stops_the_release(tmp_path):
    kit = Kit("nr10")
    files = setup(kit, tmp_path, [note(1, DESCRIBES)])
    forge(files["ledger"], 1, None, payload={"note": "0" * 32})
    dec = tmp_path / "d.json"
    dec.write_text('{"decisions": []}')
    out = CliRunner().invoke(main, _release_args(files, tmp_path / "r.release", dec))
    assert out.exit_code == 1 and "TAMPERED" in out.output
    assert not (tmp_path / "r.release").exists()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        '{"decisions": [], "decisions": []}',
        "[]",
        '{"decisions": [{"note": 1, "decision": "release"}]}',
    ],
)
def test_hostile_decisions_files_are_usage_errors(tmp_path, text):
    kit = Kit("nr11")
    files = setup(kit, tmp_path, [note(1, DESCRIBES)])
    dec = tmp_path / "d.json"
    dec.write_text(text)
    out = CliRunner().invoke(main, _release_args(files, tmp_path / "r.release", dec))
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert not (tmp_path / "r.release").exists()
