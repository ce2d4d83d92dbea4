"""One sanitizer, one rendering: every class of code point the sanitizer tags is
drawn the same in the code view (and replay, which shares its painter), the
banner, search results, quick open and the file tree. That includes what is
judged on whole words (a homoglyph in a mixed-script identifier), however the
lexer or a match highlight cuts the word.

Content is drawn as `sanitize(line, TAB).text`; names as `clean(name)`. The
highlighter lexes raw text with CR and a leading BOM protected as noncharacters,
so a noncharacter of the file's own must never be "restored" into something else.
"""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.style import Style

from cleanroom.sanitize import clean, decode, sanitize
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.source import Entry, MemorySource
from cleanroom.snapshot.results import Hit
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.banner import banner_text
from cleanroom.tui.filetree import label
from cleanroom.tui.highlight import TAB, lexer_for, render_lines
from cleanroom.tui.painter import Painter
from cleanroom.tui.results import hit_prompt
from cleanroom.tui.screens.quickopen import QuickOpenScreen

SAMPLES = {
    "C0 escape": "\x1b",
    "C0 nul": "\x00",
    "C0 bell": "\x07",
    "CR": "\r",
    "DEL": "\x7f",
    "C1 CSI": "\x9b",
    "C1 NEL": "\x85",
    "bidi RLO": "\u202e",
    "bidi LRI": "\u2066",
    "bidi PDI": "\u2069",
    "zero width space": "\u200b",
    "BOM": "\ufeff",
    "soft hyphen": "\u00ad",
    "nonchar FDD0": "\ufdd0",
    "nonchar FDD1": "\ufdd1",
    "nonchar FDEF": "\ufdef",
    "nonchar FFFE": "\ufffe",
    "nonchar FFFF": "\uffff",
    "nonchar 1FFFE": "\U0001fffe",
    "nonchar 10FFFF": "\U0010ffff",
    "private use": "\ue000",
    "private use plane 15": "\U000f0000",
    "variation selector": "\ufe0f",
    "tag character": "\U000e0041",
    "line separator": "\u2028",
    "ideographic space": "\u3000",
    "tab": "\t",
    "homoglyph (Cyrillic a)": "\u0430",
    "homoglyph (Greek omicron)": "\u03bf",
    "braille blank": "\u2800",
    "object replacement": "\ufffc",
    "stacked combining marks": "\u0301\u0302\u0303\u0304",
}
LINES = {
    name: ("x = 'a" + ch + "b'  # " + ch + " end").encode("utf-8", "surrogatepass")
    for name, ch in SAMPLES.items()
}
LINES["invalid byte"] = b"x = 'a\xffb'  # \xfe end"
LINES["tab after a tag"] = "\u202e\tx\t\u200by".encode()
LINES["leading BOM"] = "\ufeffx = 1".encode()
LINES["leading FDD1"] = "\ufdd1x = 1\r".encode()
LINES["CR and FDD0"] = "a\r\ufdd0b".encode()
LINES["homoglyph split by the lexer"] = "if usеr.isAdmin(): pass  # е is Cyrillic".encode()
LINES["ASCII odd one out"] = "раураl = 'раураl'".encode()


def expected(raw: bytes) -> str:
    return sanitize(decode(raw), TAB).text


@pytest.mark.parametrize("name", list(LINES))
@pytest.mark.parametrize("file", ["f.py", "f.c", "f.txt", "Makefile"])
def test_the_code_view_draws_what_the_sanitizer_says(name, file):
    raw = LINES[name]
    for lexer in (lexer_for(file), None):
        (line,) = render_lines([raw], lexer)
        assert line.text.plain == expected(raw), (name, file, lexer)
        assert line.flags == len(sanitize(decode(raw), TAB).spans)


@pytest.mark.parametrize("name", list(LINES))
def test_the_painter_of_code_view_and_replay_draws_the_same(name):
    opened = MemorySource({b"src/f.py": LINES[name] + b"\n"}).open(b"src/f.py")
    raw = opened.document.lines(0, 1)[0]  # a CR before the LF ends the line
    if opened.document.binary:  # a NUL makes the file binary: shown as a hex dump
        assert name == "C0 nul"
        return
    painter = Painter(opened.document, Console(width=300))
    strip = painter.strip(0, 0, 200, Style(), Style())
    drawn = "".join(seg.text for seg in strip)[painter.gutter_width :].rstrip()
    assert drawn == expected(raw).rstrip()


def hit(raw: bytes, spans: tuple[tuple[int, int], ...]) -> Hit:
    return Hit(b"src/f.py", "src/f.py", 0, spans, False, raw, 0, len(raw))


@pytest.mark.parametrize("name", list(LINES))
def test_search_results_draw_the_line_as_the_code_view_does(name):
    raw = LINES[name]
    cases = [(), ((0, len(raw)),)]
    if name in SAMPLES:  # spans fall on character boundaries, as a match's do
        width = len(SAMPLES[name].encode("utf-8", "surrogatepass"))
        cases += [((0, 1),), ((6, 6 + width),), ((0, 1), (5, 7 + width))]
    for spans in cases:
        text = hit_prompt(hit(raw, spans)).plain
        assert text == "src/f.py:1: " + expected(raw), (name, spans)


NAMES = {name: b"dir/a" + LINES[name][5:9] + b"b.txt" for name in LINES}


@pytest.mark.parametrize("name", list(NAMES))
def test_banner_tree_and_quick_open_draw_a_name_as_clean_does(name):
    raw = NAMES[name]
    shown = clean(decode(raw))
    assert "\t" not in shown and all(c.isprintable() for c in shown)
    assert f" {shown}  (1 lines)" == banner_text(raw, 1, {}).plain
    assert label(Entry(raw, raw.rsplit(b"/", 1)[-1], False, "file")).plain == clean(
        decode(raw.rsplit(b"/", 1)[-1])
    )


async def test_quick_open_lists_names_as_clean_does(kit, ledger_dir):
    files = {raw: b"x\n" for raw in NAMES.values()}
    ledger = kit.new_ledger(ledger_dir)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
    session = ReviewSession(Recorder(ledger), MemorySource(files), facts)
    app = ReviewApp(session, countersigner=kit.reviewer)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuickOpenScreen)
        options = screen.query_one("#matches")
        drawn = {options.get_option_at_index(i).prompt.plain for i in range(options.option_count)}
        await pilot.press("escape")
    assert drawn == {clean(decode(raw)) for raw in files}
