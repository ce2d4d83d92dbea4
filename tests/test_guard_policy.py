"""Guard policy: the defaults for review and demo, overrides from a table, and refusals."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cleanroom.guard import Category, Policy, PolicyError, Response, strongest
from cleanroom.guard.network import Interface, NetworkState, Route, start_check
from cleanroom.guard.policy import AirGapAction, BulkLimits, Horizon

CONNECTED = NetworkState(
    (Interface("lo", "unknown", 0x9), Interface("eth0", "up", 0x1003)),
    (Route("IPv4", "eth0", "192.0.2.1"),),
)
ISOLATED = NetworkState((Interface("lo", "unknown", 0x9),), ())


def test_review_locks_on_snapshot_or_keys_access_and_ends_on_ledger_tampering():
    p = Policy.for_mode("review")
    assert p.response(Category.SNAPSHOT_ACCESS) is Response.LOCK
    assert p.response(Category.KEYS_ACCESS) is Response.LOCK
    assert p.response(Category.LEDGER_TAMPER) is Response.END
    for c in (Category.LEDGER_COPY, Category.MEDIA, Category.NETWORK, Category.BULK_READ):
        assert p.response(c) is Response.RECORD
    assert p.response(Category.GUARD_FAILURE) is Response.LOCK  # fail closed
    assert p.air_gap is AirGapAction.REFUSE


def test_demo_records_everything_and_never_refuses():
    p = Policy.for_mode("demo")
    assert {p.response(c) for c in Category} == {Response.RECORD}
    assert start_check(p, CONNECTED).action == "record"


def test_every_category_has_a_stable_snake_case_name():
    assert [c.value for c in Category] == [
        "snapshot_access", "keys_access", "ledger_tamper", "ledger_copy",
        "media", "network", "bulk_read", "guard_failure",
    ]  # fmt: skip


def test_air_gap_at_start_refuses_review_unless_network_is_allowed_and_says_so():
    review = Policy.for_mode("review")
    refused = start_check(review, CONNECTED)
    assert refused.action == "refuse"
    assert "eth0 is up" in refused.explanation and "via 192.0.2.1" in refused.explanation
    allowed = Policy.from_dict("review", {"allow-network": True})
    check = start_check(allowed, CONNECTED)
    assert check.action == "record" and "allowed by --allow-network" in check.explanation
    assert start_check(review, ISOLATED).action == "pass"


def test_a_toml_table_overrides_the_defaults():
    text = """
    [guard]
    air-gap = "record"
    media-roots = ["/srv/usb"]
    poll-seconds = 2
    [guard.responses]
    media = "lock"
    bulk_read = "end"
    [guard.bulk]
    60 = 50
    5 = 100
    """
    p = Policy.from_dict("review", tomllib.loads(text)["guard"])
    assert p.response(Category.MEDIA) is Response.LOCK
    assert p.response(Category.BULK_READ) is Response.END
    assert p.response(Category.SNAPSHOT_ACCESS) is Response.LOCK  # untouched default
    assert p.air_gap is AirGapAction.RECORD
    assert p.media_roots == (Path("/srv/usb"),)
    assert p.bulk == BulkLimits((Horizon(5, 100), Horizon(60, 50))) and p.poll_seconds == 2.0


@pytest.mark.parametrize(
    "table, message",
    [
        ({"responses": {"snapshot_acess": "lock"}}, "unknown alert category"),
        ({"responses": {"media": "ignore"}}, "unknown response"),
        ({"air-gap": "warn"}, "unknown air-gap"),
        ({"allow-network": "yes"}, "true or false"),
        ({"bulk": {"lines": 3}}, "unknown settings: lines"),
        ({"bulk": {"seconds": 0}}, "unknown settings: seconds"),
        ({"bulk": {"10": 0}}, "positive"),
        ({"bulk": {"-10": 5}}, "positive"),
        ({"bulk": {"nan": 5}}, "positive"),
        ({"bulk": {}}, "at least one horizon"),
        ({"bulk": {"10": True}}, "positive"),
        ({"poll-seconds": -1}, "positive"),
        ({"media-roots": "/media"}, "list of paths"),
        ({"alow-network": True}, "unknown settings: alow_network"),
    ],
)
def test_a_typo_or_bad_value_is_refused_not_ignored(table, message):
    with pytest.raises(PolicyError, match=message):
        Policy.from_dict("review", table)


def test_unknown_mode_is_refused():
    with pytest.raises(PolicyError):
        Policy.for_mode("kiosk")


def test_strongest_response_wins():
    assert strongest([Response.RECORD, Response.END, Response.LOCK]) is Response.END
    assert strongest([]) is None
