"""A report names the alerts an unlock acknowledged (ADR 0220), so a responder
reading the timeline sees which alerts the reviewer was shown before the Enter;
an unlock from a ledger written before the field says only how long it lasted."""

from cleanroom.forensics.describe import describe
from tests.forensicskit import entry


def test_an_unlock_names_the_alerts_it_lifted():
    said = describe(entry(9, "unlock", 5, lock="guard", locked_s=12, alerts=[4, 7]))
    assert said == "the guard lock was acknowledged after 12 s, lifting 2 alerts (entries #4, #7)"


def test_an_unlock_of_one_alert():
    said = describe(entry(9, "unlock", 5, lock="guard", locked_s=0, alerts=[3]))
    assert said.endswith("lifting 1 alert (entries #3)")


def test_an_unlock_without_the_field_says_only_its_duration():
    for payload in (
        {"lock": "guard", "locked_s": 3},
        {"lock": "guard", "locked_s": 3, "alerts": []},
    ):
        assert (
            describe(entry(9, "unlock", 5, **payload))
            == "the guard lock was acknowledged after 3 s"
        )
