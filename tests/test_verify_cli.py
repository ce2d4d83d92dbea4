"""`cleanroom verify` as vendor staff run it: verdicts, witnesses, JSON and exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.ledger.writer import Ledger, receipt_path
from tests.ledgerkit import Alert, Kit, View, forge

CLEANROOM = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "cleanroom")


def run(*args, timeout=120):
    return subprocess.run([CLEANROOM, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


@pytest.fixture
def trust(kit, tmp_path) -> Path:
    path = tmp_path / "vendor.pub"
    write_public_key(path, kit.vendor.public_key(), role=Role.VENDOR_ROOT)
    return path


def sealed(kit, directory, views=3, **kw):
    ledger = kit.new_ledger(directory, views=views, **kw)
    ledger.append(Alert("usb_mount", "/media/x"))
    ledger.seal()
    return ledger


def test_intact_sealed_ledger_exits_0_with_a_summary(kit, ledger_dir, trust):
    ledger = sealed(kit, ledger_dir)
    out = run("verify", ledger.path, "--trust", trust)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{ledger.path}: INTACT" in out.stdout
    assert "Ada Reviewer (Agency)" in out.stdout and "ALERTS       1" in out.stdout
    assert ledger.head.seq == 5 and f"5:{ledger.last.witness}" in out.stdout


def test_tampered_ledger_exits_1_and_names_the_first_bad_entry(kit, ledger_dir, trust):
    ledger = sealed(kit, ledger_dir)
    forge(ledger.path, 2, None, mono_us=0)
    out = run("verify", ledger.path, "--trust", trust, "--json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["status"] == "TAMPERED" and doc["exit_code"] == 1
    first = doc["ledgers"][0]["findings"][0]
    assert (first["seq"], first["code"]) == (2, "SIGNATURE")


def test_unsealed_ledger_exits_3(kit, ledger_dir, trust):
    ledger = kit.new_ledger(ledger_dir, views=1)
    ledger.close()
    out = run("verify", ledger_dir, "--trust", trust)
    assert out.returncode == 3 and "UNSEALED" in out.stdout


def test_wrong_trust_root_exits_1(kit, ledger_dir, tmp_path):
    ledger = sealed(kit, ledger_dir)
    other = tmp_path / "other.pub"
    write_public_key(other, Kit("other").vendor.public_key(), role=Role.VENDOR_ROOT)
    out = run("verify", ledger.path, "--trust", other)
    assert out.returncode == 1 and "CERT_UNTRUSTED" in out.stdout


def test_witness_codes_catch_truncation_and_accept_paper_typos(kit, ledger_dir, trust):
    ledger = kit.new_ledger(ledger_dir, views=4)
    code = ledger.last.witness
    ledger.close()
    sloppy = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert run("verify", ledger.path, "--trust", trust, "--witness", f"4:{sloppy}").returncode == 3
    wrong = run("verify", ledger.path, "--trust", trust, "--witness", f"3:{code}")
    assert wrong.returncode == 1 and "WITNESS_MISMATCH" in wrong.stdout
    beyond = run("verify", ledger.path, "--trust", trust, "--witness", f"9:{code}")
    assert beyond.returncode == 1 and "WITNESS_BEYOND_END" in beyond.stdout


def test_receipt_catches_rollback_to_an_older_copy(kit, ledger_dir, tmp_path, trust):
    import shutil

    ledger = kit.new_ledger(ledger_dir, views=2)
    old_copy = tmp_path / "old.ledger"
    ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(ledger.path, old_copy)
    ledger.append(View("cd" * 32, 5, 6))
    ledger.seal()
    receipt = receipt_path(ledger.path)
    assert run("verify", ledger.path, "--trust", trust, "--receipt", receipt).returncode == 0
    rolled = run("verify", old_copy, "--trust", trust, "--receipt", receipt)
    assert rolled.returncode == 1 and "WITNESS_BEYOND_END" in rolled.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "missing.ledger", "--trust", "{trust}"], "no such file"),
        (["verify", "{dir}", "--trust", "{trust}"], "no .ledger files"),
        (["verify", "{dir}", "--trust", "missing.pub"], "missing.pub"),
        (["verify", "{dir}", "--trust", "{bad}"], "not a readable key file"),
        (["verify", "{dir}"], "Missing option '--trust'"),
        (["verify", "{dir}", "--trust", "{trust}", "--witness", "nonsense"], "SEQ:CODE"),
        (["verify", "{dir}", "--trust", "{trust}", "--receipt", "{bad}"], "receipt"),
    ],
)
def test_usage_problems_exit_2_without_a_traceback(tmp_path, trust, args, message):
    bad = tmp_path / "bad.pub"
    bad.write_text("garbage")
    empty = tmp_path / "empty"
    empty.mkdir()
    filled = [a.format(trust=trust, dir=empty, bad=bad) for a in args]
    out = run(*filled)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


def test_witness_with_several_ledgers_is_a_usage_error(kit, ledger_dir, trust):
    sealed(kit, ledger_dir)
    sealed(kit, ledger_dir / "..")
    out = run(
        "verify", ledger_dir, ledger_dir / "..", "--trust", trust, "--witness", "1:" + "0" * 28
    )
    assert out.returncode == 2


def test_hostile_strings_from_the_ledger_do_not_reach_the_terminal(kit, ledger_dir, trust):
    from cleanroom.ledger.events import Reviewer

    evil = Reviewer("Eve\x1b]52;c;SGVsbG8=\x07\u202e", "Org\x1b[2J", None)
    ledger = Ledger.create(ledger_dir, kit.workstation, evil, clock=kit.clock, keygen=kit.keys)
    ledger.append(Alert("x\x1b[31m", "\x9b1m"))
    ledger.seal()
    out = run("verify", ledger.path, "--trust", trust)
    assert out.returncode == 0
    assert "\x1b" not in out.stdout and "\x9b" not in out.stdout and "\u202e" not in out.stdout
    assert "Eve⟨x1B⟩]52;c;SGVsbG8=⟨x07⟩⟨RLO⟩" in out.stdout


def test_verify_help_documents_exit_codes():
    out = run("verify", "--help")
    assert out.returncode == 0
    for phrase in ("0 intact", "1 tampered", "3 intact but incomplete", "2 usage"):
        assert phrase in out.stdout.replace("\n", " ").replace("  ", " ")


def test_a_ledger_whose_file_name_is_not_utf8_is_verified(kit, ledger_dir, trust):
    import os
    import shutil

    ledger = sealed(kit, ledger_dir)
    odd = os.path.join(os.fsencode(ledger_dir), b"odd\xff.ledger")
    shutil.copyfile(ledger.path, odd)
    out = subprocess.run([CLEANROOM, "verify", odd, "--trust", str(trust)], capture_output=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert b"odd\xe2\x9f\xa8xFF\xe2\x9f\xa9.ledger: INTACT" in out.stdout  # odd⟨xFF⟩.ledger


@pytest.mark.parametrize("odd", ["fifo", "dangling symlink"])
def test_a_directory_run_accounts_for_every_ledger_name_in_it(kit, ledger_dir, trust, odd):
    """A FIFO or a dangling symlink named like a ledger was silently left out of
    `verify DIR`, which then said INTACT for what was left (a directory is not a
    ledger: tests/attack/test_verify_dir_odd_entries.py)."""
    import os

    sealed(kit, ledger_dir)
    bad = ledger_dir / "z.ledger"
    if odd == "fifo":
        os.mkfifo(bad)
    else:
        bad.symlink_to(ledger_dir / "gone.ledger")
    out = run("verify", ledger_dir, "--trust", trust, timeout=60)
    assert "Traceback" not in out.stderr
    if odd == "dangling symlink":  # the operator's problem, as a missing file is
        assert out.returncode == 2 and "z.ledger: a link to nothing" in out.stderr
        return
    assert out.returncode == 1, out.stdout + out.stderr
    assert "z.ledger: TAMPERED" in out.stdout and "NOT_SQLITE" in out.stdout
    assert "Traceback" not in out.stderr
    doc = json.loads(run("verify", ledger_dir, "--trust", trust, "--json", timeout=60).stdout)
    assert any(v["path"].endswith("z.ledger") for v in doc["ledgers"])


def test_a_verifying_process_that_dies_is_exit_2_not_a_traceback(kit, ledger_dir, trust,
                                                                  monkeypatch):  # fmt: skip
    """A child of the verifier killed mid-run (cleanroom/ledger/forked.py) is not a
    verdict on the ledger: exit 2 with the reason, never a traceback or a hang."""
    from click.testing import CliRunner

    from cleanroom.cli import main
    from cleanroom.cli import verify as verify_cli
    from cleanroom.ledger.forked import ChildFailed

    def killed(*_args, **_kw):
        raise ChildFailed("a verifying process ended without its results (status 9)")

    monkeypatch.setattr(verify_cli, "verify_path", killed)
    ledger = sealed(kit, ledger_dir)
    out = CliRunner().invoke(main, ["verify", str(ledger.path), "--trust", str(trust)])
    assert out.exit_code == 2, out.output
    assert "ended without its results" in out.output and "Traceback" not in out.output


def fresh_interpreter(probe: str) -> list[str]:
    """The lines `probe` prints, run in a new isolated interpreter (nothing imported
    yet, so sys.modules shows exactly what the probe loaded)."""
    run = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_verify_imports_only_what_it_needs() -> None:
    """`cleanroom verify` loads neither the other commands (the terminal, the
    recorder, forensics reports) nor cffi's C parser: importing them cost it
    0.2-0.3 s of CPU a run, as much as checking 5,000 entries."""
    probe = (
        "import sys, cleanroom.cli.verify, cleanroom.ledger.ed25519 as e\n"
        "heavy = ('textual', 'rich', 'cffi', 'pycparser', 'msgspec', 'cleanroom.tui',"
        " 'cleanroom.recorder', 'cleanroom.snapshot.store', 'cleanroom.cli.review',"
        " 'cleanroom.cli.demo', 'cleanroom.cli.report')\n"
        "print(e.IMPLEMENTATION)\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = fresh_interpreter(probe)
    assert out == ["libsodium (system)", "[]"]


def test_describing_a_references_search_loads_no_search_code() -> None:
    """`cleanroom verify` describes entries with forensics' `describe`; telling a
    references search apart (`references_name`) is pure text, so describing one
    loads neither the query compiler, re2 nor the search engine."""
    probe = (
        "import sys, cleanroom.cli.verify\n"
        "from cleanroom.forensics.describe import describe\n"
        "from cleanroom.forensics.timeline import TimelineEntry\n"
        "from cleanroom.session.events import Search\n"
        "heavy = ('re2', 'cleanroom.snapshot.query', 'cleanroom.snapshot.search',"
        " 'cleanroom.snapshot.store', 'cleanroom.snapshot.symbols.query',"
        " 'cleanroom.session.symbols')\n"
        "for text in (r'\\bkmalloc\\b', 'kmalloc'):\n"
        "    ev = Search(text, True, True, [], [], 3, '0' * 64)\n"
        "    print(describe(TimelineEntry(7, 'search', 0, 0, b'', {}, ev)).split(': ')[0])\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = fresh_interpreter(probe)
    assert out == [
        "found references of “kmalloc”",
        "searched for “kmalloc” (regex, case-sensitive)",
        "[]",
    ]
