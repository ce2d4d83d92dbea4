"""Syntax colours for the visible window, lexed raw and then sanitized per token.

Lexing the raw text lets colours show what a compiler sees (an RLO inside a
string stays inside the string); sanitizing each token afterwards guarantees
nothing unsafe is displayed. Only a window around what is shown is lexed, from
a chunk boundary, so a 100 MB file costs the same as a small one. Lexing runs on
the UI thread under a time budget (`LEX_BUDGET`, lexbudget.py): a window that
takes longer, such as a line made to make a lexer backtrack, is shown plain, and
the caller is told so it can stop colouring that file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound
from rich.style import Style
from rich.syntax import PygmentsSyntaxTheme
from rich.text import Text

from ..sanitize import Flag, decode, expand_tabs, lookalikes, plain, sanitize
from ..session.display import TAB as DISPLAY_TAB
from ..session.display import marker
from .lexbudget import Overrun, within

THEME = PygmentsSyntaxTheme("monokai")
FLAG_STYLE = Style(color="white", bgcolor="red", bold=True)
MARKER_STYLE = Style(color="black", bgcolor="yellow")
TAB = DISPLAY_TAB
TAG = re.compile(r"⟨[^⟨⟩\s]{1,24}⟩")  # a sanitizer tag as display text (also the line-cut marker)
MAX_LEX_BYTES = 2_000_000  # a window larger than this is shown plain
LEX_BUDGET = 0.1  # seconds of lexing per window (a chunk of 96 lines takes ~20 ms)


@dataclass(frozen=True)
class Line:
    text: Text  # sanitized, styled
    flags: int  # how many tags were inserted


def lexer_for(name: str) -> Lexer:
    """The lexer for a file name, its token tables already compiled: Pygments
    compiles a lexer's regexes on its first use, and under the lexing budget a
    compile cut short surfaced as "uncompilable regex" and crashed the terminal."""
    try:
        lexer = get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)
    try:
        list(lexer.get_tokens(""))  # compiles the class's tables once, outside any budget
    except Exception:  # a lexer that cannot even start: show the file plain
        return TextLexer(stripnl=False, ensurenl=False)
    return lexer


@lru_cache(maxsize=1024)
def _style(token: object) -> Style:
    s = THEME.get_style_for_token(token)  # type: ignore[arg-type]
    return Style(color=s.color, bold=s.bold, italic=s.italic)


# Pygments rewrites \r as \n and drops a leading BOM. Both must be shown, so they
# travel through the lexer as noncharacters and are restored afterwards.
_CR, _BOM = "\ufdd0", "\ufdd1"
_UNPROTECT = str.maketrans({_CR: "\r", _BOM: "\ufeff"})


def _lex(
    text: str, lexer: Lexer | None, on_overrun: Callable[[], None] | None = None
) -> tuple[list[tuple[object, str]], bool]:
    """(tokens, protected): tokens whose texts join to exactly `text`, protected (CR
    and a leading BOM as noncharacters) when `protected`; else `text` as one plain
    token, which must then be shown as it is (a noncharacter in it is its own).
    Lexing past LEX_BUDGET gives the plain token, and calls `on_overrun`."""
    plain: list[tuple[object, str]] = [((), text)]
    if lexer is None or len(text) > MAX_LEX_BYTES or _CR in text or _BOM in text:
        return plain, False
    protected = text.replace("\r", _CR)
    if protected.startswith("\ufeff"):
        protected = _BOM + protected[1:]
    try:
        tokens = within(lexer.get_tokens(protected), LEX_BUDGET)
    except Overrun:
        if on_overrun is not None:
            on_overrun()
        return plain, False
    except Exception:  # noqa: BLE001 - a lexer's own fault: the text is shown plain, never a crash
        return plain, False
    if "".join(v for _, v in tokens) != protected:
        return plain, False  # the lexer changed the text; colours are not worth a wrong view
    return tokens, True


def render_lines(
    raw_lines: list[bytes],
    lexer: Lexer | None,
    on_overrun: Callable[[], None] | None = None,
    judged: bool = False,
) -> list[Line]:
    """Lex `raw_lines` as one run of text, then build one sanitized Text per line.
    Lexing that overruns its budget leaves the lines plain and calls `on_overrun`.
    `judged`: the lines are display cells (session/display.py), look-alikes already
    tagged on whole lines; sanitizing them again tags nothing new."""
    text = "\n".join(decode(x) for x in raw_lines)
    tokens, protected = _lex(text, lexer, on_overrun)
    safe = plain(text)  # nothing to tag anywhere: skip the per-token sanitizer
    marks = {} if safe or judged else lookalikes(text)  # judged on whole words, not tokens
    out: list[Line] = []
    line, flags, col, at = Text(no_wrap=True, end=""), 0, 0, 0
    for token, value in tokens:
        style = _style(token) if token else Style()
        for i, part in enumerate(value.split("\n")):
            if i:
                out.append(Line(line, flags))
                line, flags, col = Text(no_wrap=True, end=""), 0, 0
                at += 1  # the line break
            if not part:
                continue
            start, at = at, at + len(part)
            if protected:
                part = part.translate(_UNPROTECT)
            if safe:  # tabs expand against the running column, not the token's
                part = expand_tabs(part, TAB, col)
                line.append(part, style)
                col += len(part)
                continue
            clean = sanitize(part, TAB, col, marks, start, shown=judged)
            begin = len(line)
            line.append(clean.text, style)
            for a, b, _kind in clean.spans:
                line.stylize(FLAG_STYLE, begin + a, begin + b)
            flags += len(clean.spans)
            col += len(clean.text)
    out.append(Line(line, flags))
    if judged:  # the recorder's tags arrive as text: show them as tags
        for drawn in out:
            for m in TAG.finditer(drawn.text.plain):
                drawn.text.stylize(FLAG_STYLE, m.start(), m.end())
    return out[: len(raw_lines)] + [Line(Text(), 0)] * (len(raw_lines) - len(out))


def truncation_marker(hidden_bytes: int) -> Text:
    return Text(marker(hidden_bytes), MARKER_STYLE)


__all__ = ["LEX_BUDGET", "Flag", "Line", "lexer_for", "render_lines", "truncation_marker"]
