"""OwnOpens, the guard's count of the snapshot opens Cleanroom announced, on a
clock the test turns: credits are used one for one, lapse after `expiry`, and
the credits of failed code lapse `grace` seconds after the failure (not at once:
its opens may still be on their way through inotify)."""

from __future__ import annotations

import pytest

from cleanroom.guard.own_opens import OwnOpens


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_each_announced_open_uses_one_credit_and_no_more(clock):
    opens = OwnOpens(clock, expiry=5.0, grace=1.5)
    opens.grant("/s", 2)
    assert [opens.consume("/s") for _ in range(3)] == [True, True, False]


def test_a_credit_covers_only_its_own_path(clock):
    opens = OwnOpens(clock)
    opens.grant("/s", 1)
    assert not opens.consume("/other")
    assert opens.consume("/s")


def test_unused_credits_lapse_after_expiry(clock):
    opens = OwnOpens(clock, expiry=5.0)
    opens.grant("/s", 2)
    clock.now += 5.0
    assert not opens.consume("/s")


def test_a_failure_keeps_credits_for_the_opens_still_on_their_way_then_drops_them(clock):
    opens = OwnOpens(clock, expiry=5.0, grace=1.5)
    grant = opens.grant("/s", 4)
    opens.withdraw(grant)  # a search cancelled while its workers opened the file
    clock.now += 1.0
    assert opens.consume("/s")  # a worker's open the observer reads late
    clock.now += 0.5
    assert not opens.consume("/s")  # past the grace: a foreign open is reported


def test_a_failure_never_lengthens_a_credit(clock):
    opens = OwnOpens(clock, expiry=5.0, grace=1.5)
    grant = opens.grant("/s", 1)
    clock.now += 4.0
    opens.withdraw(grant)
    clock.now += 1.0
    assert not opens.consume("/s")


def test_an_announcement_covers_at_least_one_open(clock):
    with pytest.raises(ValueError):
        OwnOpens(clock).grant("/s", 0)
