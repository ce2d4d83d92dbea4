"""A cache directory that came with the evidence never changes who-viewed's answer
(outside attack atk14f, MEDIUM 7; ADR 0308).

The attacker's tool wrote its own `forensics-cache.key` and database into a
directory (private modes, owned by the user, as a tar extraction leaves them) and
filed Bob's index under the content key of Ada's ledger; pointed at it with
--cache-dir or $CLEANROOM_CACHE_DIR, who-viewed said nobody saw Ada's lines. The
records' key now lives only in the responder's own state directory, bound to the
cache directory: such a directory's records, and a copy of the responder's own
cache, are verified again, never believed. Real ledgers, real cache, real CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics.cache import DB_NAME, KEY_NAME, MAC_DOMAIN, SCHEMA, ledger_key
from cleanroom.forensics.indexes import fresh_index
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.keys import Role, load_public_key, raw_public
from cleanroom.ledger.load import load_path
from tests.reportsite import two_reviewers

TARGET = "src/long.py"  # Ada read it; Bob never opened it


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return two_reviewers(tmp_path_factory.mktemp("cache-shipped"))


@pytest.fixture
def responder(tmp_path, monkeypatch):
    """The responder's own home and state: nothing the evidence supplies."""
    home = tmp_path / "responder"
    home.mkdir()
    for name in ("CLEANROOM_CACHE_DIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    return home


def _who(site, *extra) -> dict:
    args = ["who-viewed", TARGET, str(site["ledgers"]), "--trust", str(site["trust"]),
            "--json", *map(str, extra)]  # fmt: skip
    out = CliRunner().invoke(main, args, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def _seen(answer: dict) -> list:
    return sorted((s["reviewer"], s["ranges"]) for s in answer["sightings"])


def _forge(site, directory) -> None:
    """cache_forge.py's approach: a key and database of the attacker's own in the
    directory shipped (0700/0600, the user's, as an extraction leaves them), with
    Bob's honest index filed, and MACed by that key, under Ada's ledger's key."""
    trust = [raw_public(load_public_key(site["trust"], role=Role.VENDOR_ROOT))]
    ada, bob = sorted(site["ledgers"].glob("*.ledger"), key=lambda p: "Bob" in _who_wrote(p))
    key, (record, parts) = secrets.token_bytes(32), fresh_index(bob, trust).to_record()
    (directory / KEY_NAME).write_bytes(key)
    (directory / KEY_NAME).chmod(0o600)
    k = ledger_key(ada, trust)
    mac = hmac.new(key, MAC_DOMAIN + k + record, hashlib.sha256).digest()
    db = sqlite3.connect(directory / DB_NAME)
    db.executescript(SCHEMA)
    db.execute("INSERT INTO records VALUES (?, ?, ?)", (k, record, mac))
    db.executemany("INSERT INTO parts VALUES (?, ?, ?)", [(k, n, d) for n, d in parts.items()])
    db.commit()
    db.close()
    (directory / DB_NAME).chmod(0o600)
    directory.chmod(0o700)


def _who_wrote(path) -> str:
    return decode_body(load_path(path).rows[0][1]).payload["reviewer"]["name"]


@pytest.mark.parametrize("way", ["option", "env"])
def test_a_shipped_cache_directory_never_changes_the_answer(site, tmp_path, monkeypatch,
                                                           responder, way):  # fmt: skip
    honest = _seen(_who(site, "--no-cache"))
    assert [who for who, _ in honest] == ["Ada Reviewer"]
    shipped = tmp_path / "evidence" / "cache"
    shipped.mkdir(parents=True)
    _forge(site, shipped)
    assert (shipped / KEY_NAME).is_file()
    if way == "env":
        monkeypatch.setenv("CLEANROOM_CACHE_DIR", str(shipped))
        answer = _who(site)
    else:
        answer = _who(site, "--cache-dir", shipped)
    assert _seen(answer) == honest
    assert [x["from_cache"] for x in answer["ledgers"]] == [False, False]  # rebuilt
    assert _seen(_who(site, "--cache-dir", shipped)) == honest  # and right when reused


def test_a_copy_of_the_responders_own_cache_is_not_believed(site, tmp_path, responder):
    own = tmp_path / "own"
    honest = _seen(_who(site, "--cache-dir", own))
    assert [x["from_cache"] for x in _who(site, "--cache-dir", own)["ledgers"]] == [True, True]
    copy = tmp_path / "copy"
    shutil.copytree(own, copy)
    answer = _who(site, "--cache-dir", copy)
    assert [x["from_cache"] for x in answer["ledgers"]] == [False, False]
    assert _seen(answer) == honest
    assert not (own / KEY_NAME).exists(), "the key is never kept in a cache directory"
    assert (responder / ".local" / "state" / "cleanroom" / KEY_NAME).is_file()


def test_a_shipped_name_table_is_counted_again(tmp_path, monkeypatch, responder):
    """notes check's name table is MACed the same way: one an attacker made (with
    its key shipped beside it) is never believed, but built again here."""
    from tests.ledgerkit import Kit
    from tests.noteskit import QUOTE, note, setup

    files = setup(Kit("shipped-names"), tmp_path, [note(1, f"It reads {QUOTE}")])
    shipped = tmp_path / "evidence" / "cache"
    args = ["notes", "check", str(files["ledger"]), "--snapshot", str(files["snapshot"]),
            "--trust", str(files["trust"]), "--json", "--cache-dir", str(shipped)]  # fmt: skip

    def check() -> tuple[bytes, list]:
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 0, out.output
        (mac,) = shipped.glob("notecheck-names-*.mac")
        return mac.read_bytes(), json.loads(out.stdout[out.stdout.index("{") :])["notes"]

    attacker = tmp_path / "attacker"
    attacker.mkdir()
    monkeypatch.setenv("HOME", str(attacker))
    forged, theirs = check()
    ships = attacker / ".local" / "state" / "cleanroom" / KEY_NAME
    if ships.exists():  # its key goes with the directory, as a tar of it would hold
        shutil.copyfile(ships, shipped / KEY_NAME)
    assert (shipped / KEY_NAME).exists()
    monkeypatch.setenv("HOME", str(responder))
    rebuilt, ours = check()
    assert rebuilt != forged, "a shipped table was believed"
    assert ours == theirs
    assert check()[0] == rebuilt  # our own table is used from then on
