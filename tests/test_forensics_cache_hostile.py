"""The who-viewed cache is ours, but it lives where the user (or a file that came
with the evidence) can put things: it is treated as hostile (issue 10, outside
attack; docs/adr/0300).

- A `-journal` planted beside the cache database names a canary as its
  super-journal: SQLite would roll it back and delete the canary. It must
  survive, whichever way the cache directory was named (`$XDG_CACHE_HOME`,
  `$CLEANROOM_CACHE_DIR`, `--cache-dir`), and the database is set aside, said on
  stderr, and a fresh cache used.
- A `-wal`, a foreign schema (a view that never ends), a link or a FIFO in the
  database's or the key's place: set aside or refused, never followed or waited on.
- A relative `$XDG_CACHE_HOME` is invalid (XDG Base Directory spec) and ignored.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.forensics.cache import DB_NAME, KEY_NAME, SCHEMA, Cache, default_dir
from cleanroom.forensics.cache_file import expected_schema  # noqa
from tests.journalkit import canary, plant_journal
from tests.test_evidence_side_effects import CLI, build_site

TIMEOUT = 60


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, Path]:
    return build_site(tmp_path_factory.mktemp("cache-site"), crashed=False)


def who_viewed(site, home: Path, env: dict[str, str], *extra: str | Path, cwd: Path | None = None):
    args = [CLI, "who-viewed", site["target"], site["ledger"], "--trust", site["trust"], "--json"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "XDG_", "CLEAN"))}
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(a) for a in [*args, *extra]],
        env=base | {"HOME": str(home)} | env,
        cwd=cwd or home,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def from_cache(result) -> list[bool]:
    assert result.returncode == 0, result.stderr
    return [x["from_cache"] for x in json.loads(result.stdout)["ledgers"]]


WAYS = {  # how the cache directory is named: (environment, extra arguments)
    "xdg": lambda d: ({"XDG_CACHE_HOME": str(d.parent)}, ()),
    "env": lambda d: ({"CLEANROOM_CACHE_DIR": str(d)}, ()),
    "option": lambda d: ({}, ("--cache-dir", d)),
}


def _filled_cache(site, home: Path, way: str) -> tuple[Path, dict, tuple]:
    cache = home / "c" / "cleanroom"
    env, extra = WAYS[way](cache)
    assert from_cache(who_viewed(site, home, env, *extra)) == [False]
    assert (cache / DB_NAME).is_file()
    return cache, env, extra


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_journal_planted_beside_the_cache_deletes_nothing(
    site, tmp_path: Path, way: str, relative: bool
) -> None:
    home = tmp_path / "home"
    cache, env, extra = _filled_cache(site, home, way)
    key = canary(home / "keys" / "vendor.key")
    plant_journal(cache / DB_NAME, Path("keys/vendor.key") if relative else key)
    result = who_viewed(site, home, env, *extra)
    assert key.exists(), "SQLite rolled the planted journal back and deleted its super-journal"
    assert "Traceback" not in result.stderr
    assert "-journal" in result.stderr and "set it aside" in result.stderr, result.stderr
    assert from_cache(result) == [False]  # a fresh cache: verified again
    assert not os.path.lexists(f"{cache / DB_NAME}-journal")
    aside = [p.name for p in cache.iterdir() if ".aside-" in p.name]
    assert len(aside) == 2 and any(n.endswith(".journal") for n in aside), aside
    assert from_cache(who_viewed(site, home, env, *extra)) == [True]  # and it is used again


def test_a_planted_wal_is_set_aside(site, tmp_path: Path) -> None:
    home = tmp_path / "home"
    cache, env, extra = _filled_cache(site, home, "option")
    Path(f"{cache / DB_NAME}-wal").write_bytes(b"\x37\x7f\x06\x82" + bytes(28))
    result = who_viewed(site, home, env, *extra)
    assert "-wal" in result.stderr and "set it aside" in result.stderr, result.stderr
    assert from_cache(result) == [False]
    assert not os.path.lexists(f"{cache / DB_NAME}-wal")


def _endless_view_cache(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE VIEW records AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
        " SELECT randomblob(32) AS key, randomblob(9) AS record, randomblob(32) AS mac FROM n"
        " WHERE i < 0;"
        "CREATE TABLE parts (key BLOB, name BLOB, data BLOB NOT NULL, PRIMARY KEY (key, name))"
        " WITHOUT ROWID;"
    )
    conn.close()


def test_a_foreign_schema_is_set_aside_before_a_row_is_read(site, tmp_path: Path) -> None:
    home = tmp_path / "home"
    cache = home / "cache"
    cache.mkdir(parents=True, mode=0o700)
    _endless_view_cache(cache / DB_NAME)
    result = who_viewed(site, home, {}, "--cache-dir", cache)
    assert "schema" in result.stderr and "set it aside" in result.stderr, result.stderr
    assert from_cache(result) == [False]
    with sqlite3.connect(f"file:{cache / DB_NAME}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name")
        assert rows.fetchall() == expected_schema(SCHEMA)


def test_a_link_in_the_databases_place_is_not_followed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere.sqlite"
    elsewhere.write_bytes(b"not touched")
    (cache / DB_NAME).symlink_to(elsewhere)
    with Cache.open(cache) as opened:
        assert any("not a regular file" in n for n in opened.notices), opened.notices
    assert elsewhere.read_bytes() == b"not touched"
    assert (cache / DB_NAME).is_file() and not (cache / DB_NAME).is_symlink()


@pytest.mark.parametrize("name", [DB_NAME, KEY_NAME])
def test_a_fifo_in_the_caches_place_is_never_waited_on(site, tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    cache = home / "cache"
    cache.mkdir(parents=True, mode=0o700)
    keys = home / ".local" / "state" / "cleanroom"  # the user key's place (ADR 0308)
    if name == DB_NAME:  # the key must exist for the database to be reached
        Cache.open(cache, keys).close()
        (cache / DB_NAME).unlink()
    else:
        keys.mkdir(parents=True, mode=0o700)
    os.mkfifo((cache if name == DB_NAME else keys) / name, 0o600)
    result = who_viewed(site, home, {}, "--cache-dir", cache)  # a hang is a timeout here
    assert result.returncode == 0, result.stderr
    assert "not a regular file" in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["relative/cache", ".", "./x", "~/cache"])
def test_a_relative_xdg_cache_home_is_ignored(monkeypatch, tmp_path: Path, value: str) -> None:
    monkeypatch.delenv("CLEANROOM_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", value)
    assert default_dir() == tmp_path / ".cache" / "cleanroom"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "abs"))
    assert default_dir() == tmp_path / "abs" / "cleanroom"


@pytest.mark.parametrize("value", ["relative/cache", "."])
def test_a_relative_cleanroom_cache_dir_is_ignored(monkeypatch, tmp_path: Path, value: str) -> None:
    """Outside attack (second round): CLEANROOM_CACHE_DIR=relcache made the cache
    in the working directory, where the evidence may be."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("CLEANROOM_CACHE_DIR", value)
    assert default_dir() == tmp_path / ".cache" / "cleanroom"
    monkeypatch.setenv("CLEANROOM_CACHE_DIR", str(tmp_path / "own"))
    assert default_dir() == tmp_path / "own"


@pytest.mark.parametrize("value", ["", "relative"])
def test_an_empty_or_relative_home_is_not_the_root_or_the_working_directory(
    monkeypatch, value: str
) -> None:
    """Outside attack (second round): HOME= put the cache in /.cache/cleanroom."""
    import pwd

    monkeypatch.delenv("CLEANROOM_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", value)
    own = pwd.getpwuid(os.getuid()).pw_dir
    assert default_dir() == Path(own) / ".cache" / "cleanroom"


def test_who_viewed_writes_nothing_under_a_relative_xdg_cache_home(site, tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    result = who_viewed(site, home, {"XDG_CACHE_HOME": "xdg"}, cwd=work)
    assert result.returncode == 0, result.stderr
    assert list(work.iterdir()) == []
    assert (home / ".cache" / "cleanroom" / DB_NAME).is_file()


def test_a_sparse_terabyte_sidecar_is_keyed_by_what_is_on_disk(tmp_path: Path) -> None:
    """Outside attack (second round): the cache keyed a ledger by reading its
    `-wal` and `-journal` whole, holes included, so a 1 TB sparse `-wal` (36 KB on
    disk) kept who-viewed busy for hours while `--no-cache` took 2 s. The key
    now reads data extents only, and still changes when a byte of data does."""
    from tests.attack.test_reading_bounds import _sparse_supported
    from tests.ledgerkit import Kit

    if not _sparse_supported(tmp_path):
        pytest.skip("this file system has no sparse files")
    kit = Kit("cache-sparse")
    (tmp_path / "l").mkdir()
    ledger = kit.new_ledger(tmp_path / "l", views=2)
    ledger.seal()
    wal = Path(f"{ledger.path}-wal")
    wal.write_bytes(b"w" * 5000)
    with open(wal, "ab") as f:
        f.truncate(1 << 40)
    code = (
        "import sys; from pathlib import Path; from cleanroom.forensics.cache import ledger_key;"
        "print(ledger_key(Path(sys.argv[1]), []).hex())"
    )
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code, str(ledger.path)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    first = run()
    with open(wal, "r+b") as f:  # one byte of data changes: another key
        f.write(b"x")
    assert run() != first
