"""JSON that every strict parser accepts, whatever the file names.

A file name on Linux is bytes. Python keeps the bytes that are not UTF-8 as lone
surrogates (surrogateescape), and `json.dumps` writes those as `\\udcff`: valid
JSON text that strict parsers (and any UTF-8 encoder) refuse. So a name in our
JSON is two fields, as the reviewer vocabulary's paths already are:

- `path`: always present, valid UTF-8; each byte that is not UTF-8 is U+FFFD;
- `path_b64`: only when the name is not UTF-8, its exact bytes in base64.

`strict` is the last line for any other text: it replaces a lone surrogate
escape left in ASCII JSON by `\\ufffd`.
"""

from __future__ import annotations

import base64
import os
import re

_LONE = re.compile(r"[\ud800-\udfff]")
# In ASCII JSON: an escaped backslash (skipped), a surrogate pair (kept), or a
# lone surrogate escape (replaced). Scanning left to right keeps `\\ud800` text.
_ESCAPE = re.compile(r"(\\\\)|(\\ud[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2})|\\ud[89a-f][0-9a-f]{2}")


def name_fields(name: str, key: str = "path") -> dict[str, str]:
    """`{key: text}` for a file name as Python holds it, plus `{key_b64: bytes}`
    when the name is not UTF-8 (docs/verdict.md, "File names")."""
    if not _LONE.search(name):
        return {key: name}
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate that no file name decodes to
        raw = name.encode("utf-8", "surrogatepass")
    return {
        key: raw.decode("utf-8", "replace"),
        f"{key}_b64": base64.b64encode(raw).decode("ascii"),
    }


def strict(text: str) -> str:
    """ASCII JSON `text` with every lone surrogate escape made `\\ufffd`."""
    if "\\ud" not in text:
        return text
    return _ESCAPE.sub(lambda m: m[0] if m[1] or m[2] else "\\ufffd", text)
