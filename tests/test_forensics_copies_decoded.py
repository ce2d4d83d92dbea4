"""A file that is dropped as a copy, a prefix or a fork's other branch is never
analysed nor held (ADR 0309): a report given a ledger and two byte copies
decoded all three into memory before dropping two (atk14f #6: 970 MB instead of
454 MB). Since ADR 0310 every file's rows are decoded by the workers that verify
it, into a spill file, not memory; what is analysed is counted by read_evidence's
own `analyse` hook, which runs once on each file credited. Real ledgers and keys
(tests/creditsite.py)."""

from __future__ import annotations

import shutil

import pytest

from cleanroom.forensics.timeline import read_evidence, read_timeline
from cleanroom.ledger.keys import Role, load_public_key, raw_public
from tests.creditsite import build


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("decoded")
    built = build(root, "decoded", [1, 21, 41, 61, 81], root / "ledgers", copy_after=3)
    copies = []
    for n in (1, 2):
        copies.append(root / f"copy{n}.ledger")
        shutil.copyfile(built["ledger"], copies[-1])
    trust = [raw_public(load_public_key(built["trust"], role=Role.VENDOR_ROOT))]
    return {**built, "copies": copies, "prefix": root / "prefix.ledger", "keys": trust}


@pytest.fixture(scope="module")
def fork(tmp_path_factory):
    root = tmp_path_factory.mktemp("fork")
    one = build(root / "one", "fork", [1, 21], root / "one" / "ledgers")
    two = build(root / "two", "fork", [1, 61], root / "two" / "ledgers")
    trust = [raw_public(load_public_key(one["trust"], role=Role.VENDOR_ROOT))]
    return {"one": one["ledger"], "two": two["ledger"], "keys": trust}


def _read(paths, keys):
    decoded: list[int] = []

    def analyse(entries, undecodable):
        decoded.append(len(entries))
        return len(entries)

    return read_evidence(paths, keys, analyse=analyse), decoded


def _seqs(timeline):
    return [(e.seq, e.kind, e.payload) for e in timeline.entries]


def test_byte_copies_are_never_decoded_and_the_kept_file_is_exact(site):
    alone = read_timeline(site["ledger"], site["keys"])
    evidence, decoded = _read([site["ledger"], *site["copies"]], site["keys"])
    assert decoded == [len(alone.entries)], "only the file credited is decoded"
    (kept,) = evidence.timelines
    assert kept.path == str(site["ledger"]) and _seqs(kept) == _seqs(alone)
    assert kept.analysis == len(alone.entries)
    assert [f.code for f in evidence.sessions] == ["SESSION_COPY", "SESSION_COPY"]


def test_a_copy_given_first_stands_and_the_later_file_is_not_decoded(site):
    evidence, decoded = _read([site["copies"][0], site["ledger"]], site["keys"])
    (kept,) = evidence.timelines
    assert kept.path == str(site["copies"][0]) and len(decoded) == 1


def test_a_prefix_given_after_the_longer_file_is_never_decoded(site):
    alone = read_timeline(site["ledger"], site["keys"])
    evidence, decoded = _read([site["ledger"], site["prefix"]], site["keys"])
    assert decoded == [len(alone.entries)]
    (kept,) = evidence.timelines
    assert _seqs(kept) == _seqs(alone)


def test_a_longer_file_given_after_its_prefix_is_decoded_and_credited(site):
    # The prefix was decoded before the longer file was known; the longer one is
    # postponed, then decoded from the rows its verdict judged, and credited.
    alone = read_timeline(site["ledger"], site["keys"])
    evidence, decoded = _read([site["prefix"], site["ledger"]], site["keys"])
    (kept,) = evidence.timelines
    assert kept.path == str(site["ledger"]) and _seqs(kept) == _seqs(alone)
    assert decoded[-1] == len(alone.entries) and kept.analysis == len(alone.entries)


def test_a_forks_other_branch_is_never_decoded_and_the_first_is_cut(fork):
    evidence, decoded = _read([fork["one"], fork["two"]], fork["keys"])
    (kept,) = evidence.timelines
    assert kept.path == str(fork["one"]) and len(decoded) == 1
    assert [f.code for f in evidence.sessions] == ["SESSION_FORK"]
    assert kept.entries and all(e.seq <= 2 for e in kept.entries)  # start, open, first view
