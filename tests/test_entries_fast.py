"""check_rows' fast path against its full path (entries.py): on every committed
vector, on every cut into slices, and on genuine rows damaged at random, the two
give the same findings, counts, hashes, notes and last state."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.ledger import entries
from cleanroom.ledger.entries import Context, SliceResult, check_rows
from cleanroom.ledger.load import Row, load_path
from cleanroom.ledger.verify import _context
from tests.ledgerkit import Kit

VECTORS = sorted((Path(__file__).parent / "vectors").glob("*.ledger"))
WITNESSED = frozenset(range(-3, 200, 3))


def full_path(rows: list[Row], before: Row | None, ctx: Context) -> SliceResult:
    saved = entries._fast_after
    entries._fast_after = lambda _: entries._NOT_FAST  # type: ignore[assignment]
    try:
        return check_rows(iter(rows), before, ctx)
    finally:
        entries._fast_after = saved


def same(rows: list[Row], ctx: Context) -> None:
    """Whole, and cut in two at every point (the second part after its `before`)."""
    for cut in range(len(rows) + 1):
        for part, before in ((rows[:cut], None), (rows[cut:], rows[cut - 1] if cut else None)):
            fast = dataclasses.asdict(check_rows(iter(part), before, ctx))
            assert fast == dataclasses.asdict(full_path(part, before, ctx)), (cut, before)


def context_of(rows: list[Row]) -> Context:
    ctx = _context(rows[0], [], WITNESSED)[0]
    return dataclasses.replace(ctx, witness_seqs=WITNESSED)


@pytest.mark.parametrize("sodium", ["detached", "wrapped"])
@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_every_vector_checks_alike_on_both_paths(
    path: Path, sodium: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signatures in the fast path: libsodium's function called directly (system
    build) or through verify_signature (the bundled build: no DETACHED)."""
    if sodium == "wrapped":
        monkeypatch.setattr(entries, "_DETACHED", None)
    rows = load_path(path).rows
    if rows:
        same(rows, context_of(rows))


def test_the_fast_path_is_taken(kit: Kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tamper_cases import sealed

    rows = load_path(sealed(kit, tmp_path).path).rows
    assert len(rows) >= 5
    calls = []
    real = entries.state_of
    monkeypatch.setattr(entries, "state_of", lambda row: calls.append(row[0]) or real(row))
    result = check_rows(iter(rows), None, context_of(rows))
    assert not result.findings
    # The start (no predecessor) and the seal (a structural kind) take the full path.
    assert calls == [rows[0][0], rows[-1][0]]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> list[Row]:
    from tests.tamper_cases import sealed

    kit = Kit("fast-path")
    scene = sealed(kit, tmp_path_factory.mktemp("genuine"), views=12, alerts=("tab",))
    return load_path(scene.path).rows


@given(data=st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damaged_rows_check_alike(genuine: list[Row], data: st.DataObject) -> None:
    rows = list(genuine)
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(0, len(rows) - 1))
        seq, body, sig = rows[k]
        what = data.draw(st.sampled_from(["flip", "cut", "seq", "sig", "swap", "drop"]))
        if what == "flip" and body:  # one byte anywhere in the body: header, kind or payload
            at = data.draw(st.integers(0, len(body) - 1))  # type: ignore[arg-type]
            bit = 1 << data.draw(st.integers(0, 7))
            body = body[:at] + bytes([body[at] ^ bit]) + body[at + 1 :]  # type: ignore[index]
        elif what == "cut":
            body = body[: data.draw(st.integers(0, len(body)))]  # type: ignore[arg-type, index]
        elif what == "seq":
            seq = data.draw(st.sampled_from([-1, 0, k + 1, "7", None, 1.0]))
        elif what == "sig":
            good = sig if type(sig) is bytes else b"\x01" * 64
            sig = data.draw(st.sampled_from([good[:63], None, b"\x00" * 64, body]))
        elif what == "swap" and k + 1 < len(rows):
            rows[k], rows[k + 1] = rows[k + 1], rows[k]
            continue
        elif what == "drop":
            del rows[k]
            if not rows:
                return
            continue
        rows[k] = (seq, body, sig)
    ctx = context_of(list(genuine))
    for cut in (0, 1, len(rows) // 2, len(rows) - 1):
        before = rows[cut - 1] if cut else None
        fast = dataclasses.asdict(check_rows(iter(rows[cut:]), before, ctx))
        assert fast == dataclasses.asdict(full_path(rows[cut:], before, ctx))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"boot": b"\x07" * 16}, "BOOT_CHANGED"),
        ({"mono_us": -2_000}, "TIME_REVERSED"),
        ({"wall_us": 3_000_000}, "CLOCK_STEP"),
        ({"next_key": bytes(32)}, "ENCODING"),
        ({"ledger": b"\x01" * 16}, "WRONG_LEDGER"),
        ({"seq": 99}, "SEQ_MISMATCH"),
        ({"prev": b"\x02" * 32}, "CHAIN"),
    ],
)
def test_signed_views_that_break_one_rule(
    kit: Kit, tmp_path: Path, change: dict[str, object], code: str
) -> None:
    """A view signed by the key due, breaking one rule the fast path checks: only
    the full path may judge it, and it says which rule."""
    from cleanroom.ledger.encoding import signed_message
    from tests.tamper_cases import next_body, put_row, rows_of, unsealed

    path = unsealed(kit, tmp_path).path
    seq = rows_of(path)[-1][0] + 1
    body = next_body(path, "view", {"blob": "ab" * 32, "first": 1, "last": 2}, b"")
    body = dataclasses.replace(body, next_key=bytes(range(32)))
    for name, value in change.items():
        old = getattr(body, name)
        body = dataclasses.replace(body, **{name: old + value if isinstance(old, int) else value})
    raw = body.encode()
    put_row(path, seq, raw, kit.signer_of(path, seq).sign(signed_message(raw)))
    rows = load_path(path).rows
    same(rows, context_of(rows))
    assert code in {f.code for f in check_rows(iter(rows), None, context_of(rows)).findings}


@pytest.mark.parametrize("chunk", [1, 2, 3, 5])
def test_chunks_of_any_size_check_alike(
    genuine: list[Row], chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path judges CHUNK rows at a time and checks their signatures
    together: cut anywhere, with bad signatures inside a run, its findings are the
    full path's, in the same order."""
    monkeypatch.setattr(entries, "CHUNK", chunk)
    rows = list(genuine)
    for k in (2, 3, 4, 7):  # views inside runs of the fast path, one after another
        seq, body, sig = rows[k]
        rows[k] = (seq, body, bytes(64 - 1) + b"\x01")
    ctx = context_of(list(genuine))
    result = check_rows(iter(rows), None, ctx)
    assert [f.seq for f in result.findings if f.code == "SIGNATURE"] == [2, 3, 4, 7]
    assert dataclasses.asdict(result) == dataclasses.asdict(full_path(rows, None, ctx))
    same(rows, ctx)


def test_bad_signatures_are_checked_at_most_twice(
    genuine: list[Row], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry whose signature fails in a run of the fast path is checked once
    more, by the full path, to name the finding; never once per later entry of
    its run (a ledger of bad signatures would cost CHUNK times as much)."""
    calls = [0]
    real = entries.verify_signature

    def counted(*args: bytes) -> bool:
        calls[0] += 1
        return real(*args)

    monkeypatch.setattr(entries, "verify_signature", counted)
    monkeypatch.setattr(entries, "_DETACHED", None)
    rows = [(seq, body, bytes(63) + b"\x01") for seq, body, _ in genuine]
    result = check_rows(iter(rows), None, context_of(list(genuine)))
    signature_findings = [f for f in result.findings if f.code == "SIGNATURE"]
    assert len(signature_findings) + result.omitted["SIGNATURE"] == len(rows)
    assert calls[0] <= 2 * len(rows)
