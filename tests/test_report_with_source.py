"""`cleanroom report --with-source`: the lines beside the heat strip, for the vendor.

Refused without --snapshot and for any output but HTML; says on its first line
that the file contains source; every line goes through the one sanitizer and
HTML escaping (the site's files include bidi overrides, an OSC 52 clipboard
write and markup that would close the table and run script); lines never shown
are folded, and lines seen are shaded by their dwell.
"""

from __future__ import annotations

import re

import pytest

from tests.reportsite import two_reviewers
from tests.test_forensics_report import run_report


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return two_reviewers(tmp_path_factory.mktemp("with-source"))


@pytest.fixture(scope="module")
def page(site, tmp_path_factory):
    out = tmp_path_factory.mktemp("with-source-out") / "r.html"
    result = run_report(site, site["ledgers"], out=out, extra=["--with-source"])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_without_with_source_there_is_no_source(site, tmp_path):
    out = tmp_path / "r.html"
    run_report(site, site["ledgers"], out=out)
    text = out.read_text(encoding="utf-8")
    assert "CONTAINS SOURCE" not in text.splitlines()[0]
    assert "value_1 = 1" not in text and 'class="source"' not in text


def test_the_first_line_says_the_report_contains_source(page):
    first = page.splitlines()[0]
    assert first.startswith("<!DOCTYPE html>") and "CONTAINS SOURCE CODE" in first
    body = page.split("<body>", 1)[1].lstrip()
    assert body.startswith('<p class="banner source" id="contains-source">')


def test_lines_seen_are_shaded_and_the_rest_folded(page):
    rows = re.findall(r'<tr class="h(\d)"[^>]*><td class="ln">(\d+)</td><td>([^<]*)</td>', page)
    long_rows = {int(n): (int(lv), text) for lv, n, text in rows if text.startswith("value_")}
    assert long_rows[1] == (long_rows[1][0], "value_0 = 0  # line 1")
    assert all(lv >= 1 for n, (lv, _) in long_rows.items() if n <= 20)  # the first screen
    assert 4999 not in long_rows  # never shown, and not near anything shown
    assert re.search(r"lines \d+–5000 never shown", page)


def test_hostile_source_is_sanitized_and_escaped(page):
    assert "\x1b" not in page and "\u202e" not in page and "\x07" not in page
    assert 'puts("⟨x1B⟩]52;c;SGVsbG8=⟨x07⟩ ⟨x1B⟩[2J");' in page.replace("&quot;", '"')
    assert "⟨RLO⟩" in page
    # The markup in web/inject.html is text: one script element (the pinned sorter).
    assert page.count("<script>") == 1 and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;/table&gt;&lt;/details&gt;&lt;img src=x onerror=alert(2)&gt;" in page


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_with_source_is_refused_for_other_formats(site, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    result = run_report(site, site["ledgers"], out=out, extra=["--with-source"])
    assert result.exit_code == 2 and "--with-source" in result.output
    assert not out.exists()


def test_with_source_is_refused_without_a_snapshot(site, tmp_path):
    from click.testing import CliRunner

    from cleanroom.cli import main

    out = tmp_path / "r.html"
    args = ["report", str(site["ledgers"]), "--trust", str(site["trust"]), "-o", str(out),
            "--with-source"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--snapshot" in result.output
    assert not out.exists()


def test_an_empty_file_is_one_empty_line_and_never_a_crash(tmp_path):
    """The terminal shows an empty file as one empty line 1 and records a view of
    1..1; `--with-source` then crashed on it (zip of no line starts with one end:
    an outside attack on issue 14). It must give that one empty line."""
    from cleanroom.forensics.source_text import SourceText
    from cleanroom.snapshot.store import Snapshot
    from tests.snapshotkit import TRUST, make

    def tree(root):
        (root / "empty.c").write_bytes(b"")
        (root / "one.c").write_bytes(b"x")
        return root

    with Snapshot.open(make(tmp_path, tree), TRUST) as snap:
        source = SourceText([snap])
        assert source.lines(snap.stat(b"empty.c").blob.hex()) == [b""]
        assert source.lines(snap.stat(b"one.c").blob.hex()) == [b"x"]
