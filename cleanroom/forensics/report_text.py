"""Text in the HTML report: the one escaping of untrusted strings, and long ids
shortened with the whole value on hover."""

from __future__ import annotations

import html

from .describe import display

ID_CHARS = 12  # characters of a hash or id shown; the title holds the rest


def h(value: object) -> str:
    """Untrusted text for HTML: tags for hidden characters, then entity escaping."""
    return html.escape(display(value), quote=True)


def short(value: object, keep: int = ID_CHARS) -> str:
    """`value` escaped, cut to `keep` characters with an ellipsis when longer; the
    whole value is in the title (shown on hover) and is what a search finds."""
    text = display(value)
    if len(text) <= keep:
        return html.escape(text, quote=True)
    full = html.escape(text, quote=True)
    return f'<span class="id" title="{full}">{html.escape(text[:keep], quote=True)}…</span>'
