"""Bit-flip sweep over a whole sealed ledger file (spec: docs/ledger-format.md §3, §5).

The ledger is a sealed, countersigned session of six entries (start, four views,
end): two 4 KiB pages, page 1 holding the header and schema and page 2 the rows.

Coverage: EVERY byte offset of the file, in two passes: one flipping the lowest bit
(xor 0x01) and one the highest (xor 0x80): 2 × 8192 flipped files, each read by
`load_bytes` and judged by `verify_image`, as `verify_bytes(data, trust)` does.
Two thirds of the flips leave an image equal to one already judged (a bit of free
space, a counter): `verify_image` is the pure verifier, a function of the image,
so such a flip gets the verdict of its equal, and every 8th of them is judged
again and must get the same status, findings and head (REJUDGE), so the shortcut
is tested too. About 2600 judgements and 8192 reads a pass, ~7 s (both are
marked slow, so tests/longfirst.py starts them early instead of leaving one for
the end).

For each flipped file the only acceptable outcomes are:

* TAMPERED (including an unreadable file: NOT_SQLITE / CORRUPT are tamper findings);
* INTACT with the original head hash and exactly the original rows
  (`load_bytes(...).rows`): the flipped bit was not part of any entry, e.g. free
  space in a page or the file change counter.

Anything else (INCOMPLETE, INTACT with other rows or head, an exception) is a
failure. Both acceptable kinds must occur, so the sweep itself can fail.
"""

from __future__ import annotations

import pickle
import traceback
from collections import Counter
from pathlib import Path

import pytest

from cleanroom.ledger.load import load_bytes
from cleanroom.ledger.verdict import Status, Verdict
from cleanroom.ledger.verify import verify_bytes, verify_image
from tests.ledgerkit import Kit

REJUDGE = 8  # every 8th flip whose image was judged before is judged again


@pytest.fixture(scope="module")
def sealed(tmp_path_factory) -> tuple[bytes, list[bytes]]:
    kit = Kit("bitflip")
    directory = tmp_path_factory.mktemp("bitflip")
    ledger = kit.new_ledger(directory, views=4)
    ledger.seal(countersigner=kit.reviewer)
    data = Path(ledger.path).read_bytes()
    return data, kit.trust


def _sweep(data: bytes, trust: list[bytes], mask: int) -> tuple[Counter[str], list[str]]:
    original = verify_bytes(data, trust)
    assert (original.status, original.codes()) == (Status.INTACT, []), original.findings
    head = original.summary["head"]
    rows = load_bytes(data).rows
    assert len(rows) == 6
    outcomes: Counter[str] = Counter()
    bad: list[str] = []
    judged: dict[bytes, Verdict] = {}  # pickled image -> its verdict
    repeats = 0
    for offset in range(len(data)):
        flipped = bytearray(data)
        flipped[offset] ^= mask
        flipped = bytes(flipped)
        try:
            image = load_bytes(flipped)  # verify_bytes(flipped, trust), its image kept
            key = pickle.dumps(image)
            v = judged.get(key)
            if v is None:
                v = judged[key] = verify_image(image, trust, workers=1)
            else:
                repeats += 1
                if repeats % REJUDGE == 0:
                    again = verify_image(image, trust, workers=1)
                    assert _said(again) == _said(v), (offset, _said(again), _said(v))
        except Exception as exc:  # the verifier must never raise on hostile bytes
            outcomes["raised"] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            bad.append(f"offset {offset}: raised {exc!r} at {where.filename}:{where.lineno}")
            continue
        if v.status is Status.TAMPERED:
            outcomes["tampered"] += 1
        elif v.status is Status.INTACT and v.summary["head"] == head and image.rows == rows:
            outcomes["intact, same entries"] += 1
        else:
            outcomes["wrong"] += 1
            bad.append(f"offset {offset}: {v.status.value} {v.codes()} head {v.summary['head']}")
    assert repeats >= REJUDGE, "no flip left an image equal to another: the shortcut is untested"
    return outcomes, bad


def _said(v: Verdict) -> tuple[object, ...]:
    return v.status, v.codes(), v.summary.get("head")


@pytest.mark.slow
@pytest.mark.parametrize("mask", [0x01, 0x80], ids=["bit0", "bit7"])
def test_every_single_bit_flip_is_caught_or_harmless(sealed, mask: int) -> None:
    data, trust = sealed
    assert len(data) == 8192, "the sweep is sized for a two-page ledger"
    outcomes, bad = _sweep(data, trust, mask)
    shown = "\n".join(bad[:20]) + (f"\n... {len(bad) - 20} more" if len(bad) > 20 else "")
    assert not bad, f"{len(bad)} unacceptable outcomes {dict(outcomes)}:\n{shown}"
    assert outcomes["tampered"] > 0 and outcomes["intact, same entries"] > 0, outcomes
    assert sum(outcomes.values()) == len(data)
