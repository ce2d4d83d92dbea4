"""The HTML report in a real browser: headless Chromium, networking blocked.

Two sessions by two reviewers, recorded by the real reviewer app (Pilot) on a
real vendor-signed snapshot of a small tree with a hostile file name, are
reported with `cleanroom report`; the page is opened at 1400 and 800 px wide.
It must load without a console error or a CSP violation, request nothing but
itself, lay out its main parts without overlap and within the width, and its one
(hash-pinned) script must sort a table. Screenshots are kept under the printed
directory: look at them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.chromiumkit import Browser
from tests.reportsite import two_reviewers
from tests.test_forensics_report import run_report

MAIN = ["glance", "never", "map", "verification", "sessions", "coverage", "searches"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("chromium-report")
    return {**two_reviewers(root), "root": root}


@pytest.fixture(scope="module")
def page_file(site):
    out = site["root"] / "report.html"
    result = run_report(site, site["ledgers"], out=out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def source_file(site):
    out = site["root"] / "report-source.html"
    result = run_report(site, site["ledgers"], out=out, extra=["--with-source"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def shots():
    """Outside pytest's own temporary directories, which it deletes after three runs:
    the screenshots are artifacts to look at after the suite."""
    d = Path(os.environ.get("CLEANROOM_ARTIFACTS", tempfile.gettempdir())) / "report-chromium"
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the report: {d}")
    return d


LAYOUT = """(() => {
  const ids = %s, out = {};
  for (const id of ids) {
    const e = document.getElementById(id);
    if (!e) { out[id] = null; continue; }
    const r = e.getBoundingClientRect();
    out[id] = [r.left, r.top + scrollY, r.right, r.bottom + scrollY];
  }
  const svg = document.querySelector('svg.treemap').getBoundingClientRect();
  out.svg = [svg.left, svg.top + scrollY, svg.right, svg.bottom + scrollY];
  out.scrollWidth = document.documentElement.scrollWidth;
  out.innerWidth = innerWidth;
  return out;
})()"""


@pytest.mark.parametrize("width", [1400, 800])
def test_the_report_renders_cleanly_in_chromium(page_file, browser, shots, width):
    page = browser.page(width)
    page.open(page_file)
    assert page.problems() == []
    urls = page.requests()
    assert urls == [page_file.resolve().as_uri()], urls  # nothing but the file itself
    box = page.eval(LAYOUT % MAIN)
    assert all(box[k] is not None for k in MAIN), box
    assert box["scrollWidth"] <= box["innerWidth"], box  # nothing wider than the window
    rects = [box[k] for k in MAIN]
    for i, a in enumerate(rects):
        assert a[2] - a[0] > 100 and a[3] - a[1] > 20, (MAIN[i], a)  # laid out, visible
        assert a[2] <= width
        for j, b in enumerate(rects[i + 1 :], start=i + 1):
            apart = a[3] <= b[1] or b[3] <= a[1] or a[2] <= b[0] or b[2] <= a[0]
            assert apart, (MAIN[i], a, MAIN[j], b)
    m, s = box["map"], box["svg"]
    assert m[0] <= s[0] and s[2] <= m[2] and m[1] <= s[1] and s[3] <= m[3]  # the map in its section
    assert s[2] - s[0] >= min(width - 80, 1200) * 0.9  # and it uses the width it has
    wrapped = page.eval(
        "[...document.querySelectorAll('td.time')].filter(td => {"
        " const r = document.createRange(); r.selectNodeContents(td);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1;"
        "}).map(td => td.textContent)"
    )
    assert page.eval("document.querySelectorAll('td.time').length") > 10
    assert wrapped == []  # no timestamp breaks over two lines
    # The summary's tables fit whole at either width: no column hidden behind a
    # sideways scroll (at 800 px the glance's last columns were, issue 14).
    hidden = page.eval(
        "[...document.querySelectorAll('#glance table')]"
        ".filter(t => t.scrollWidth > t.clientWidth).map(t => t.className)"
    )
    assert page.eval("document.querySelectorAll('#glance table').length") == 2
    assert hidden == []
    page.screenshot(shots / f"report-{width}.png")
    page.eval("document.getElementById('map').scrollIntoView()")
    page.screenshot(shots / f"report-{width}-map.png")
    assert page.problems() == []


def test_the_pinned_script_runs_and_sorts(page_file, browser):
    page = browser.page(1400)
    page.open(page_file)
    read = (
        "[...document.querySelectorAll('table.reviewers tbody tr')]"
        ".map(r => r.cells[0].textContent)"
    )
    before = page.eval(read)
    assert before == ["Ada Reviewer (Agency)", "Bob Auditor (Agency)"]
    page.eval("document.querySelector('table.reviewers thead th').click()")
    page.eval("document.querySelector('table.reviewers thead th').click()")  # descending
    assert page.eval(read) == before[::-1]
    assert page.problems() == []


def test_hostile_names_stay_text_in_the_browser(page_file, browser):
    page = browser.page(1400)
    page.open(page_file)
    scripts = page.eval("document.scripts.length")
    assert scripts == 1
    titles = page.eval(
        "[...document.querySelectorAll('svg.treemap title')].map(t => t.textContent)"
    )
    hostile = [t for t in titles if "cod.exe" in t]
    assert hostile and all("\u202e" not in t and "\x1b" not in t for t in hostile)
    assert any("⟨RLO⟩" in t for t in hostile)
    assert os.path.getsize(page_file) < 2_000_000


def test_the_source_beside_the_strip_renders_cleanly(source_file, browser, shots):
    page = browser.page(1400)
    page.open(source_file)
    opened = page.eval(
        "(() => { const d = [...document.querySelectorAll('details.filedetail')]"
        ".find(x => x.textContent.includes('src/main.c')); d.open = true; d.scrollIntoView();"
        " return d.querySelectorAll('table.source tr').length; })()"
    )
    assert opened >= 4
    assert page.eval("document.scripts.length") == 1
    assert page.eval("document.querySelectorAll('img').length") == 0
    banner = page.eval("document.body.firstElementChild.id")
    assert banner == "contains-source"
    assert page.eval("document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(shots / "report-with-source.png")
    assert page.problems() == []
