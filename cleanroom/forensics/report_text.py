"""Text in the HTML report: the one escaping of untrusted strings, long ids
shortened with the value on hover, and names a ledger gives cut to a fixed length.

A name (reviewer, organisation, workstation, ledger path, snapshot id) is any
string up to the ledger's 1 MiB entry limit: 330,000 x U+202E made one ledger's
page 20 MB (atk14f #5). Every such value shown in the HTML, and every title
holding one, is cut to `NAME_CHARS` characters of its display form (after the
one sanitizer, never inside a tag), with a mark counting what was left out; the
JSON report holds the whole value (ADR 0309)."""

from __future__ import annotations

import html

from .describe import display

ID_CHARS = 12  # characters of a hash or id shown; the title holds the rest
NAME_CHARS = 256  # characters of a name's display form shown, and of a title


def h(value: object) -> str:
    """Untrusted text for HTML: tags for hidden characters, then entity escaping."""
    return html.escape(display(value), quote=True)


def short(value: object, keep: int = ID_CHARS) -> str:
    """`value` escaped, cut to `keep` characters with an ellipsis when longer; the
    value is in the title (shown on hover) and is what a search finds, up to
    `NAME_CHARS` characters (`name_text`)."""
    text = display(value)
    if len(text) <= keep:
        return html.escape(text, quote=True)
    full = html.escape(_cut_text(text, NAME_CHARS), quote=True)
    return f'<span class="id" title="{full}">{html.escape(_cut(text, keep), quote=True)}…</span>'


def h_name(value: object, keep: int = NAME_CHARS) -> str:
    """A name from a ledger for HTML: its display form (the one sanitizer), escaped,
    and when longer than `keep` characters cut there with a visible mark that counts
    the characters left out (the JSON report holds the whole)."""
    text = display(value)
    if len(text) <= keep:
        return html.escape(text, quote=True)
    head = _cut(text, keep)
    return (
        f'{html.escape(head, quote=True)}<span class="cut">… ({len(text) - len(head):,} '
        "more characters; the JSON report holds all)</span>"
    )


def name_text(value: object, keep: int = NAME_CHARS) -> str:
    """`h_name` as plain display text (for a title or an attribute; escape it)."""
    return _cut_text(display(value), keep)


def _cut_text(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    head = _cut(text, keep)
    return f"{head}… ({len(text) - len(head):,} more characters)"


def _cut(text: str, keep: int) -> str:
    """The first `keep` characters of display text, never ending inside a tag: the
    sanitizer tags every literal bracket, so an unclosed "⟨" is a tag's start."""
    head = text[:keep]
    start = head.rfind("⟨")
    if start >= 0 and "⟩" not in head[start:]:
        head = head[:start]
    return head
