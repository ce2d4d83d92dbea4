"""The terminal's document holds one screen, so its chunks change at every key;
drawing it lexes nothing (painter.py): a line shows the colours it had if its
bytes are unchanged, else plain, and `recolour` colours the screen once the
frame is out. What is drawn is always the bytes held now, sanitized."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from cleanroom.session.service import FileFacts, Screen, screen_lines
from cleanroom.tui import highlight
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.painter import CHUNK, MAX_LINE_BYTES, Painter
from cleanroom.tui.shown import ShownDocument
from tests.tuikit import make_app

LINES = [b"int v%d = %d; /* line %d */" % (i, i, i + 1) for i in range(300)]
HEIGHT = 20


def facts(lines: list[bytes] = LINES, name: str = "f.c") -> FileFacts:
    widest = max(map(len, lines), default=0)
    return FileFacts(b"f.c", name, "00" * 32, 0, len(lines), widest, False)


def put(doc: ShownDocument, first: int, lines: list[bytes] = LINES) -> None:
    """Hold lines first..first+HEIGHT-1 (1-based), as a recorded view answers them."""
    held = lines[first - 1 : first - 1 + HEIGHT]
    doc.put(Screen(first, held, [len(x) for x in held]))


def coloured(painter: Painter, index: int) -> bool:
    return any(span.style for span in painter.line(index).text.spans)


def recolour_all(painter: Painter, first: int) -> int:
    """Draw lines first..first+HEIGHT-1 (1-based), then colour what that left stale."""
    for i in range(first - 1, min(first - 1 + HEIGHT, painter.document.line_count)):
        painter.line(i)
    done = 0
    while painter.stale:
        painter.recolour(first - 1, first - 1 + HEIGHT)
        done += 1
    return done


def counting_lexes(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = highlight._lex

    def lex(text, lexer, on_overrun=None):
        if lexer is not None:
            calls.append(text.count("\n") + 1)
        return real(text, lexer, on_overrun)

    monkeypatch.setattr(highlight, "_lex", lex)
    return calls


def test_drawing_a_new_screen_lexes_nothing_and_recolour_colours_it(monkeypatch):
    lexes = counting_lexes(monkeypatch)
    doc = ShownDocument(facts())
    painter = Painter(doc, Console(width=200))
    assert painter.deferred
    put(doc, 100)
    drawn = [painter.line(i) for i in range(99, 99 + HEIGHT)]
    assert lexes == []  # the key's frame: no lexing at all
    assert [x.text.plain for x in drawn] == [x.decode() for x in LINES[99 : 99 + HEIGHT]]
    assert not any(coloured(painter, i) for i in range(99, 99 + HEIGHT))
    assert recolour_all(painter, 100) == 1
    assert not painter.stale
    assert len(lexes) == 1  # now it lexed
    assert all(coloured(painter, i) for i in range(99, 99 + HEIGHT))
    assert [painter.line(i).text.plain for i in range(99, 99 + HEIGHT)] == [
        x.decode() for x in LINES[99 : 99 + HEIGHT]
    ]


def test_one_line_down_keeps_the_colours_of_the_lines_still_shown(monkeypatch):
    doc = ShownDocument(facts())
    painter = Painter(doc, Console(width=200))
    put(doc, 100)
    recolour_all(painter, 100)
    before = {i: painter.line(i) for i in range(100, 99 + HEIGHT)}
    assert all(coloured(painter, i) for i in before)
    lexes = counting_lexes(monkeypatch)
    put(doc, 101)
    for i in range(100, 100 + HEIGHT):
        painter.line(i)
    assert lexes == []
    assert all(painter.line(i) is before[i] for i in before)  # drawn as they were
    assert not coloured(painter, 99 + HEIGHT)  # the new line: plain until recoloured
    assert painter.recolour(100, 100 + HEIGHT) == [99 + HEIGHT]  # it looks different: redraw it
    assert coloured(painter, 99 + HEIGHT)
    # lines whose colours did not change keep their Line, so their strips are reused
    assert all(painter.line(i) is before[i] for i in before)


def test_a_screen_across_two_chunks_is_lexed_once(monkeypatch):
    """Colouring after a key lexes the lines drawn plain as one run: one lex a key,
    not one per 64-line chunk the screen touches (each with its own redraw)."""
    doc = ShownDocument(facts())
    painter = Painter(doc, Console(width=200))
    first = CHUNK - 4  # a screen across two chunks: 4 lines of one, the rest of the next
    put(doc, first)
    for i in range(first - 1, first - 1 + HEIGHT):
        painter.line(i)
    lexes = counting_lexes(monkeypatch)
    changed = painter.recolour(first - 1, first - 1 + HEIGHT)
    assert len(lexes) == 1 and not painter.stale
    assert changed == list(range(first - 1, first - 1 + HEIGHT))
    assert all(coloured(painter, i) for i in changed)


def test_recolouring_what_looks_the_same_asks_for_no_redraw():
    blank = [b"" if i % 2 else line for i, line in enumerate(LINES)]  # a blank line colours plain
    doc = ShownDocument(facts(blank))
    painter = Painter(doc, Console(width=200))
    put(doc, 100, blank)
    recolour_all(painter, 100)
    put(doc, 101, blank)  # one line down: a blank line comes in (index 100 + HEIGHT - 1)
    for i in range(100, 100 + HEIGHT):
        painter.line(i)
    assert painter.stale
    assert painter.recolour(100, 100 + HEIGHT) == [] and not painter.stale
    put(doc, 102, blank)  # and again: a line of code comes in, drawn again coloured
    for i in range(101, 101 + HEIGHT):
        painter.line(i)
    assert painter.recolour(101, 101 + HEIGHT) == [100 + HEIGHT]


def test_a_line_whose_bytes_changed_is_never_drawn_as_it_was():
    doc = ShownDocument(facts())
    painter = Painter(doc, Console(width=200))
    put(doc, 100)
    recolour_all(painter, 100)
    changed = list(LINES)
    changed[104] = b"\x1b[2J evil \xe2\x80\xae text"
    put(doc, 100, changed)
    line = painter.line(104)
    assert "evil" in line.text.plain and "\x1b" not in line.text.plain
    assert line.flags > 0  # sanitized like any drawn line: the escape and the RLO tagged
    assert painter.line(103).text.plain == LINES[103].decode()


def test_the_painter_keeps_no_line_the_screen_no_longer_shows():
    doc = ShownDocument(facts())
    painter = Painter(doc, Console(width=200))
    put(doc, 1)
    for i in range(HEIGHT):
        painter.line(i)
    recolour_all(painter, 1)
    put(doc, 200)
    for i in range(199, 199 + HEIGHT):
        painter.line(i)
    recolour_all(painter, 200)
    assert set(painter._last) <= set(range(199, 199 + HEIGHT))
    # nor any coloured chunk or drawn strip of it (the first screen's lines 0..HEIGHT)
    on_screen = set(range(199 // CHUNK, (199 + HEIGHT - 1) // CHUNK + 1))
    assert set(painter._chunks.keys()) <= on_screen
    assert set(painter._strips.keys()) <= set(range(199, 199 + HEIGHT))


def test_a_cut_line_keeps_its_marker_before_and_after_recolouring():
    long = [b"x = '" + b"a" * (MAX_LINE_BYTES + 500) + b"'"] * 3
    doc = ShownDocument(facts(long, "f.py"))
    painter = Painter(doc, Console(width=200))
    # The service sends the display cells of the window, the marker among them.
    col = MAX_LINE_BYTES - 10
    doc.put(Screen(1, screen_lines(long, col, 100), [len(x) for x in long], col))
    assert "⟨+" in painter.line(0).text.plain
    recolour_all(painter, 1)
    assert "⟨+" in painter.line(0).text.plain and coloured(painter, 0)


def test_recolour_forgets_lines_scrolled_away():
    doc = ShownDocument(facts())
    painter = Painter(doc, Console(width=200))
    put(doc, 1)
    painter.line(0)
    put(doc, 200)
    assert painter.stale
    assert painter.recolour(199, 199 + HEIGHT) == []  # line 0 is no longer shown
    assert not painter.stale


def strips_coloured(view: CodeView) -> bool:
    strips = view.render_lines(view.region.reset_offset)
    fg = {seg.style.color for strip in strips for seg in strip if isinstance(seg.style, Style)}
    return len(fg - {None}) > 2  # the gutter's colour and more: the code's


async def test_the_code_view_is_coloured_once_the_key_frame_is_out(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        for _ in range(50):
            await pilot.pause()
            if app.query_one(CodeView).document is not None:
                break
        view = app.query_one(CodeView)
        await pilot.press("pagedown")
        await pilot.pause()
        await pilot.pause()
        assert view._shown is not None and view._shown.first > 1
        assert strips_coloured(view)
        assert view._painter is not None and not view._painter._stale


def test_the_status_bar_draws_a_status_once():
    from cleanroom.tui.statusbar import Status, StatusBar

    bar = StatusBar()
    drawn: list[object] = []
    bar.update = lambda content="", layout=True: drawn.append((content, layout))  # type: ignore[method-assign]
    status = Status("Ada", "0123456789", 5, "4:abcd")
    bar.show(status)
    bar.show(Status("Ada", "0123456789", 5, "4:abcd"))
    assert len(drawn) == 1 and drawn[0][1] is False  # one row, whatever it says: no layout
    bar.show(Status("Ada", "0123456789", 6, "4:abcd"))
    assert len(drawn) == 2 and "entries 6" in str(drawn[1][0])


def test_a_file_shown_plain_is_drawn_at_once_with_nothing_left_to_colour():
    hexdump = [b"00000000  7f 45 4c 46 %04x" % i for i in range(100)]
    f = facts(hexdump, "a.c")
    doc = ShownDocument(FileFacts(f.path, f.name, f.blob, 0, f.lines, f.max_line_bytes, True))
    painter = Painter(doc, Console(width=200))
    put(doc, 1, hexdump)
    assert painter.line(0).text.plain == hexdump[0].decode()
    assert not painter.stale  # binary, no lexer: drawn plain, final, in the frame


async def test_the_painter_forgets_the_last_screen_before_it_draws_the_next(kit, ledger_dir):
    """shown.py's promise, at the moment it matters: once a new screen is recorded
    and drawn, nothing of the screen before is held (no line, colour or drawn strip),
    not even until the colouring after the frame runs."""
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        for _ in range(50):
            await pilot.pause()
            if app.query_one(CodeView)._shown is not None:
                break
        view = app.query_one(CodeView)
        painter = view._painter
        assert painter is not None and painter._last  # the first screen, drawn
        before = view._shown
        view.scroll_to(y=before.last + 10, animate=False, immediate=True, force=True)
        # the new screen's frame, and no more (the whole widget: a row more than the viewport)
        strips = view.render_lines(view.region.reset_offset)
        after = view._shown
        assert after is not None and after.first > before.last
        # a row past the recorded viewport (under the scrollbar) is drawn blank, never source
        assert len(strips) > after.last - after.first + 1
        assert all(not st.text.strip() for st in strips[after.last - after.first + 1 :])
        on_screen = set(range(after.first - 1, after.last))
        assert painter._last and set(painter._last) <= on_screen
        assert set(painter._strips.keys()) <= on_screen
        assert set(painter._stale) <= on_screen
        assert not painter._chunks


PIECES = [*"ab =;()", "\t", "\u202e", "é", "\u4e2d", "\u0301", "‹", "›", "⟨RLO⟩", "\x1b", "\u200b"]
CELLS = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), CELLS, st.booleans(), st.integers(0, 40))
def test_a_line_drawn_at_once_is_the_line_the_sanitizer_would_make(left, body, right, cols):
    """A page turn draws most lines without the sanitizer's run (printable ASCII,
    and a cut line's markers at its ends): such a line must be exactly the one
    `render_lines` makes of the same cells (text, styles, tags), and a window of a
    line of one cell a character must cut as `display.crop` does."""
    from cleanroom.session.display import CUT_LEFT, CUT_RIGHT, cell_len, crop
    from cleanroom.tui.painter import PAD, cut_strip, one_cell_each

    cells = (CUT_LEFT if left else "") + body + (CUT_RIGHT if right else "")
    raw = cells.encode("utf-8", "surrogatepass")
    doc = ShownDocument(facts([raw], "f.txt"))
    doc.put(Screen(1, [raw], [len(raw)]))
    drawn = Painter(doc, Console(width=200)).line(0)
    made = highlight.render_lines([raw], None, judged=True)[0]
    assert (drawn.text.plain, drawn.text.spans, drawn.flags) == (
        made.text.plain, made.text.spans, made.flags)  # fmt: skip
    text = made.text.plain
    if one_cell_each(text):
        assert all(cell_len(ch) == 1 for ch in text)
        strip = cut_strip(Strip([Segment(text, PAD)], len(text)), text, cols // 2, cols)
        assert strip.text == crop(text, cols // 2, cols)
