#!/usr/bin/env python3
"""atk14: check the reports `atk14_site.py` wrote, statically and in headless Chromium.

    PYTHONPATH=. .venv/bin/python scripts/attack/atk14_check.py /tmp/atk14-site

HTML: every tag and attribute the page holds (one script, the pinned one; one
style; no event handler, no `src`, no link out of the page; `style=` only the
bars' widths), and no character the one sanitizer would tag (bidi, controls,
invisibles) anywhere in the file. Chromium at 1400 and 800 px: requests, console
errors, CSP reports, scripts in the DOM, the page's width, screenshots. CSV:
every cell where a spreadsheet could start a formula. JSON Lines: ASCII, and
each coverage record's path exactly the snapshot's bytes. Prints what it found.
"""

# ruff: noqa: E402

from __future__ import annotations

import csv
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cleanroom.forensics.report_sort import SCRIPT
from cleanroom.sanitize import classify

ALLOWED = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
           "table", "thead", "tbody", "tr", "th", "td", "a", "section", "div", "i", "b", "span",
           "code", "details", "summary", "ul", "li", "svg", "rect", "path", "text", "script",
           "br", "small", "em", "strong", "ol", "pre"}  # fmt: skip


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self.scripts: list[str] = []
        self.styles = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED:
            self.bad.append(f"tag <{tag}>")
        for k, v in attrs:
            if k.startswith("on") or k in ("src", "srcdoc", "formaction", "action", "xlink:href"):
                self.bad.append(f"attribute {k}={v!r} on <{tag}>")
            if k == "href" and not (v or "").startswith("#"):
                self.bad.append(f"href {v!r}")
            if k == "style" and not re.fullmatch(r"width:\d+(\.\d)?%", v or ""):
                self.bad.append(f"style {v!r}")
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag == "style":
            self.styles += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def check_html(path: Path) -> list[str]:
    text = path.read_text("utf-8")
    p = Tags()
    p.feed(text)
    out = list(dict.fromkeys(p.bad))
    if p.scripts != [SCRIPT]:
        out.append(f"scripts: {[s[:80] for s in p.scripts]}")
    if p.styles != 1:
        out.append(f"{p.styles} style elements")
    ours = {"\n", "\u27e8", "\u27e9"}  # the sanitizer's own tag brackets
    raw = {ch for ch in set(text) if ch not in ours and classify(ch) is not None}
    if raw:
        out.append(f"raw characters the sanitizer tags: {sorted(map(hex, map(ord, raw)))}")
    return out


FORMULA = re.compile(r"(^|[,;|])[ \u3000\u00a0]*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")


def check_csv(path: Path) -> list[str]:
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.reader(f)):
            for c in row:
                for m in FORMULA.finditer(c):
                    out.append(f"row {n}: {c[:100]!r} at {m.start()}")
    return out


def check_jsonl(path: Path) -> list[str]:
    out = []
    for n, line in enumerate(path.read_text("utf-8").splitlines()):
        if not line.isascii():
            out.append(f"line {n}: not ASCII")
        json.loads(line)
    return out


def chromium(path: Path, shots: Path) -> list[str]:
    from tests.chromiumkit import Browser

    out = []
    b = Browser()
    try:
        for width in (1400, 800):
            page = b.page(width)
            secs = page.open(path)
            probs = page.problems()
            urls = page.requests()
            scripts = page.eval("document.scripts.length")
            sw = page.eval("[document.documentElement.scrollWidth, innerWidth]")
            wide = page.eval(
                "[...document.querySelectorAll('body *')].filter(e => "
                "e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('table,svg'))"
                ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + "
                "Math.round(e.getBoundingClientRect().right))"
            )
            page.screenshot(shots / f"{path.stem}-{width}.png")
            print(f"  {width}px: loaded in {secs:.2f} s, scrollWidth {sw}, scripts {scripts}")
            if probs:
                out.append(f"{width}px problems: {probs[:5]}")
            if urls != [path.resolve().as_uri()]:
                out.append(f"{width}px requests: {urls}")
            if scripts != 1:
                out.append(f"{width}px: {scripts} scripts")
            if sw[0] > sw[1]:
                out.append(f"{width}px: page {sw[0]} px wide in a {sw[1]} px window: {wide}")
    finally:
        b.close()
    return out


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/atk14-site")
    shots = root / "shots"
    shots.mkdir(exist_ok=True)
    for name in ("report.html", "report.src.html"):
        print(name, "static:", check_html(root / name) or "held")
        if "--no-browser" not in sys.argv:
            print(name, "chromium:", chromium(root / name, shots) or "held")
    bad = check_csv(root / "report.csv")
    print("report.csv:", f"{len(bad)} cells could start a formula" if bad else "held")
    for b in bad[:12]:
        print("   ", b)
    print("report.jsonl:", check_jsonl(root / "report.jsonl") or "held")


if __name__ == "__main__":
    main()
