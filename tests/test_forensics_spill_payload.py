"""A report's tap takes each payload as the verifier parsed it, not parsing it again.

The verifier's fast path proves each plain entry's payload canonical by parsing
it (`entries._fast_run`); the report's tap used to decode every body again
(`decode_body`: the payload parsed and re-encoded a second time), about 0.6 s
of CPU over a 100k-entry ledger. `check_rows(judged=...)` now hands each row on
with the object the checks proved, and the tap builds the entry from it: the
same entries, records and undecodable count, from hostile rows too. Real
ledgers, keys and verifier (tests/ledgerkit.py).
"""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from cleanroom.forensics import timeline
from cleanroom.forensics.timeline import _decode, _proved, _record, read_evidence
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.entries import Context, check_rows
from cleanroom.ledger.load import load_path
from cleanroom.ledger.verify import PARALLEL_MIN_ROWS
from cleanroom.session.events import FileOpen, Search, View
from tests.ledgerkit import Kit

BLOB = "cd" * 32
ENTRIES = PARALLEL_MIN_ROWS + 300  # read by ranges: the tap path


def _write(kit, root, n):
    ledger = kit.new_ledger(root)
    for i in range(n // 10):
        path = b"src/\xffname%02d.c" % (i % 7)  # not UTF-8: path_b64
        ledger.append(FileOpen(path, BLOB, 4000, 400, {}))
        for first in range(1, 9):
            ledger.append(View(path, BLOB, first, first + 39, 0, 100))
        ledger.append(Search('q\u2028"\\', False, False, [], [], 3, "00" * 32))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return ledger.path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    kit = Kit("spill-payload")
    return kit, _write(kit, tmp_path_factory.mktemp("payload"), ENTRIES)


def _judged(rows):
    """(row, payload) as check_rows hands them on."""
    got = []
    ctx = Context(decode_body(rows[0][1]).ledger, None, None)
    check_rows(iter(rows), None, ctx, judged=lambda r, p: got.append((r, p)))
    return got


def test_every_row_is_handed_on_once_in_order(site):
    _, path = site
    rows = load_path(path).rows
    got = _judged(rows)
    assert [r for r, _ in got] == rows


def test_the_payload_handed_on_is_the_one_decode_body_gives(site):
    _, path = site
    rows = load_path(path).rows
    got = _judged(rows)
    proved = [(r, p) for r, p in got if p is not None]
    assert len(proved) > 0.9 * len(rows), "the fast path decides most rows"
    for (_, body, _), payload in proved:
        assert _proved(body, payload) == decode_body(body)
        assert _record(body, payload, {}) == _record(body, None, {})


def test_the_tap_parses_no_payload_the_verifier_parsed(site, monkeypatch):
    kit, path = site
    calls = itertools.count()

    def counting(body):
        next(calls)
        return decode_body(body)

    monkeypatch.setattr(timeline, "decode_body", counting)
    (t,) = read_evidence([path], kit.trust, workers=1).timelines  # this process: counted
    parsed = next(calls)
    assert t.status.value == "INTACT" and len(t.entries) == ENTRIES // 10 * 10 + 2
    # Only rows the fast path leaves to the full path: the first, the seal.
    assert parsed < 10, f"the tap decoded {parsed} bodies again"
    monkeypatch.undo()
    expected, _ = _decode(load_path(path).rows, {})
    assert list(t.entries) == expected


def _tampered(path, tmp_path):
    """A copy whose payloads are edited in place: a non-canonical payload (spaces),
    one that is not JSON, and one with a bad kind; their signatures fail too."""
    copy = tmp_path / "tampered.ledger"
    copy.write_bytes(path.read_bytes())
    conn = sqlite3.connect(copy)
    rows = conn.execute("SELECT seq, body FROM entries WHERE seq IN (5, 6, 7)").fetchall()
    edits = {5: (b'{"', b'{ "'), 6: (b'{"', b"{{"), 7: (b"view", b"VIEW")}
    for seq, body in rows:
        old, new = edits[seq]
        conn.execute("UPDATE entries SET body = ? WHERE seq = ?", (body.replace(old, new, 1), seq))
    conn.commit()
    conn.close()
    return copy


def test_hostile_rows_decode_as_they_did(site, tmp_path):
    kit, path = site
    copy = _tampered(path, tmp_path)
    rows = load_path(copy).rows
    got = _judged(rows)
    for (_, body, _), payload in got:
        assert _record(body, payload, {}) == _record(body, None, {})
    handed = dict((r[0], p) for r, p in got)
    assert handed[5] is None and handed[6] is None and handed[7] is None
    expected, undecodable = _decode(load_path(copy).rows, {})
    assert undecodable == 3  # not canonical, not JSON, not a kind: as before
    (t,) = read_evidence([copy], kit.trust, include_tampered=True, workers=1).timelines
    assert t.status.value == "TAMPERED"
    assert t.undecodable == undecodable and list(t.entries) == expected
