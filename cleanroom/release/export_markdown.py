"""Markdown for people from a valid release: released notes only, no source.

Titles and bodies are the reviewer's (or the vendor's replacement) text, which is
untrusted: each passes through the one sanitizer (no control, bidi or invisible
character survives), Markdown's own characters in titles and locations are
escaped (`&` too: an entity such as `&rlm;` would draw the bidi mark the sanitizer
tagged), and bodies sit in fenced blocks longer than any backtick run in them,
so a note cannot inject markup, links or images into the page.
"""

from __future__ import annotations

import re
from typing import Any

from ..sanitize import sanitize
from .released import leaving, location

_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def _line(text: str) -> str:
    return _MARKUP.sub(r"\\\1", sanitize(text).text.replace("\n", " "))


def _block(text: str) -> str:
    body = "\n".join(sanitize(line).text for line in text.split("\n"))
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", body)), default=0))
    return f"{fence}text\n{body}\n{fence}"


def markdown(release: dict[str, Any]) -> str:
    notes = leaving(release)
    by = release["released_by"]
    out = [
        "# Review findings",
        "",
        f"Released {release['released_at']} by {_line(by['name'])} ({_line(by['org'])}); "
        f"snapshot {_line(release['snapshot']['name'])} `{release['snapshot']['id']}`; "
        f"{len(notes)} of {len(release['notes'])} notes released.",
    ]
    for n in notes:
        sev = f" ({n['severity']})" if n["severity"] else ""
        red = f" — redacted: {', '.join(n['redacted'])}" if n.get("redacted") else ""
        out += [
            "",
            f"## {_line(n['title']) or '(untitled)'}",
            "",
            f"{n['note_kind']}{sev} at {_line(location(n))}{red}",
            "",
        ]
        out.append(_block(n["body"]))
    return "\n".join(out) + "\n"
