"""docs/guard.md is the guard's contract: every alert category, response and setting
is named there, and the defaults table matches the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cleanroom.guard import Category, Policy, Response

DOC = (Path(__file__).resolve().parents[1] / "docs" / "guard.md").read_text(encoding="utf-8")
_ROW = re.compile(r"^\| `([a-z_]+)` \| `(\w+)` \| `(\w+)` \|$", re.MULTILINE)


def test_the_responses_table_is_the_default_policy():
    rows = {c: (review, demo) for c, review, demo in _ROW.findall(DOC)}
    review, demo = Policy.for_mode("review"), Policy.for_mode("demo")
    assert rows == {c.value: (review.response(c).value, demo.response(c).value) for c in Category}


@pytest.mark.parametrize("name", [r.value for r in Response])
def test_every_response_is_described(name):
    assert f"`{name}`" in DOC


@pytest.mark.parametrize(
    "setting", ["air-gap", "allow-network", "media-roots", "poll-seconds", "lines-per-second",
                "seconds", "window"],
)  # fmt: skip
def test_every_setting_is_in_the_example_table(setting):
    assert re.search(rf"^{re.escape(setting)} = ", DOC, re.MULTILINE)


def test_the_threat_model_has_a_guard_section():
    threat = (Path(__file__).resolve().parents[1] / "docs" / "threat-model.md").read_text()
    assert "\n## The guard\n" in threat and "## Known gaps in the current code" in threat


_TESTED = re.compile(r"`(tests/test_\w+\.py)::(test_\w+)`")


def test_every_claim_in_the_caught_table_names_a_test_that_exists():
    """guard.md's 'What it catches' table is a contract: each row names the test
    that tries to break it, and that test must exist."""
    root = Path(__file__).resolve().parents[1]
    named = _TESTED.findall(DOC)
    assert len(named) >= 10
    for path, name in named:
        source = (root / path).read_text(encoding="utf-8")
        assert f"def {name}(" in source, f"{path}::{name} is named in guard.md but missing"
