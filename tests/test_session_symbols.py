"""The session's side of following code (session/symbols.py, LocalService): the
limits docs/events.md and docs/protocol.md state, tried on a real snapshot."""

from __future__ import annotations

import hashlib
import json

import pytest

from cleanroom.ledger.encoding import decode_body
from cleanroom.session.events import path_fields
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.session.symbol_digest import symbols_digest
from cleanroom.session.symbols import NAMES_LIMIT, OUTLINE_LIMIT, Symbol, SymbolsUnavailable
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.symbols.query import references_query
from cleanroom.snapshot.symbols.references import references_name
from tests.ledgerkit import read_rows

DEFINES = OUTLINE_LIMIT + 100


def service_over(kit, tmp_path, files: dict[str, bytes]) -> tuple[LocalService, object]:
    src = tmp_path / "src"
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    snap = tmp_path / "s.snapshot"
    create_snapshot(src, snap, kit.vendor, name="s", version="1", created=1, symbols=True)
    source = SnapshotSource.from_file(snap, kit.trust)
    (tmp_path / "ledgers").mkdir()
    ledger = kit.new_ledger(tmp_path / "ledgers")
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "s 1", str(ledger.path))
    return LocalService(ReviewSession(Recorder(ledger), source, facts)), ledger


def last_entry(ledger):
    return decode_body(read_rows(ledger.path)[-1][1])


def test_an_outline_lists_at_most_its_limit_and_counts_them_all(kit, tmp_path):
    many = b"".join(b"#define NAME_%05d %d\n" % (i, i) for i in range(DEFINES))
    service, ledger = service_over(kit, tmp_path, {"many.h": many})
    opened = service.open_file(b"many.h")
    found = service.outline(opened)
    assert (len(found.rows), found.total) == (OUTLINE_LIMIT, DEFINES)
    assert [s.line for s in found.rows] == list(range(OUTLINE_LIMIT))  # by line, the first
    entry = last_entry(ledger)
    assert entry.kind == "symbol_outline"
    assert (entry.payload["listed"], entry.payload["symbols"]) == (OUTLINE_LIMIT, DEFINES)


def test_later_pages_of_an_outline_list_the_rest_each_recorded_with_its_offset(kit, tmp_path):
    many = b"".join(b"#define NAME_%05d %d\n" % (i, i) for i in range(DEFINES))
    service, ledger = service_over(kit, tmp_path, {"many.h": many})
    opened = service.open_file(b"many.h")
    first = service.outline(opened)
    assert last_entry(ledger).payload.get("offset") is None  # the first page: as before pages
    second = service.outline(opened, OUTLINE_LIMIT)
    assert (len(second.rows), second.total, second.offset) == (100, DEFINES, OUTLINE_LIMIT)
    assert [s.line for s in second.rows] == list(range(OUTLINE_LIMIT, DEFINES))
    entry = last_entry(ledger)
    assert entry.kind == "symbol_outline"
    assert (entry.payload["offset"], entry.payload["listed"], entry.payload["symbols"]) == (
        OUTLINE_LIMIT, 100, DEFINES)  # fmt: skip
    assert entry.payload["digest"] == symbols_digest(second.rows) != symbols_digest(first.rows)
    for past in (DEFINES, DEFINES + 1, -1):  # not a page: refused, and nothing recorded
        with pytest.raises(SymbolsUnavailable):
            service.outline(opened, past)
    assert last_entry(ledger) == entry


def test_an_outline_page_of_one_row_and_of_none(kit, tmp_path):
    service, ledger = service_over(kit, tmp_path, {"one.h": b"#define ONE 1", "empty.h": b""})
    opened = service.open_file(b"one.h")
    assert [(s.line, s.name) for s in service.outline(opened).rows] == [(0, "ONE")]
    before = last_entry(ledger)
    with pytest.raises(SymbolsUnavailable, match="no page starts after the first 1"):
        service.outline(opened, 1)
    assert last_entry(ledger) == before
    empty = service.open_file(b"empty.h")
    assert (service.outline(empty).rows, service.outline(empty).total) == ([], 0)
    with pytest.raises(SymbolsUnavailable):
        service.outline(empty, 1)


def test_symbol_quick_open_lists_at_most_its_limit(kit, tmp_path):
    names = b"".join(b"int pick_%03d(void) { return 0; }\n" % i for i in range(NAMES_LIMIT + 20))
    service, ledger = service_over(kit, tmp_path, {"p.c": names})
    listed = service.symbol_names("pick_")
    assert len(listed) == NAMES_LIMIT and listed == sorted(listed)
    assert last_entry(ledger).payload == {"query": "pick_", "names": listed}
    assert service.symbol_names("") == []  # nothing typed: nothing listed, and recorded so


def test_references_name_recognises_only_the_references_query():
    for name in ("kmalloc", "a.b", "x$y", "__init__", "Ünïcode"):
        q = references_query(name)
        assert references_name(q.text, True, True) == name
        assert references_name(q.text, False, True) is None  # not a regex: a literal search
        assert references_name(q.text, True, False) is None  # any case: not references
        assert references_name(q.text, True, True, globs=True) is None
    for text in (r"\b\b", r"\bfoo.*\b", r"\bfoo\b|\bbar\b", "foo", r"\bfoo bar\b"):
        assert references_name(text, True, True) is None, text


def _digest_as_defined(rows) -> str:
    """docs/events.md's definition, one json.dumps per row."""
    h = hashlib.sha256()
    for s in rows:
        row = [path_fields(s.path), s.line + 1, s.name, s.kind]
        h.update(json.dumps(row, sort_keys=True, separators=(",", ":")).encode("ascii"))
        h.update(b"\n")
    return h.hexdigest()


def test_the_rows_digest_is_the_one_defined_for_any_text():
    """symbols_digest writes each row piece by piece (ADR 0126): the same bytes as
    json.dumps of the row, for quotes, escapes, non-ASCII and paths not UTF-8."""
    paths = [b"a.c", b"dir/\xff\xfe.c", b'q"uote\\.h', "Ünï/码.py".encode(), b""]
    names = ["x", 'a"b', "back\\slash", "Ünïcode", "码", "\U0001f600", "tab\there", "\x7f"]
    rows = [Symbol(p, "", line, n, k) for p in paths for line, n in enumerate(names)
            for k in ("function", "macro")]  # fmt: skip
    assert symbols_digest(rows) == _digest_as_defined(rows)
    for cut in (0, 1, 7):  # the path's part is not carried over from another path
        mixed = rows[cut:] + rows[:cut]
        assert symbols_digest(mixed) == _digest_as_defined(mixed)
    assert symbols_digest([]) == hashlib.sha256().hexdigest()
