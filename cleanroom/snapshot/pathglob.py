"""Path globs that narrow a search: which files to include and which to exclude.

A glob is matched, case-sensitively, against a file's *display* path (what the
reviewer sees, docs/snapshot-format.md §3), with gitignore-like rules:

- `*` is any run of characters within one path component, `?` one character
  other than `/`, `[abc]` / `[a-z]` one character of a set, `[!a]` or `[^a]` one
  character not in it (a set never matches `/`; a `]` right after the opening
  bracket is literal). `\\` makes the next character literal.
- `**` as a whole component is any number of directories: `**/test`,
  `drivers/**/Kconfig`, `drivers/**`. Elsewhere it acts as `*`.
- A glob with no `/` except at its end matches a name at any depth (`*.c`,
  `Makefile`). One with a `/` elsewhere is anchored at the top (`src/*.c`
  matches `src/a.c`, not `lib/src/a.c`); a leading `/` is allowed.
- A glob matches a file if it matches the file's path or the path of one of its
  directories, so `drivers/net` selects everything below it. With a trailing
  `/` (`build/`) only directories count.

A file is searched if it matches at least one include glob (or none are given)
and no exclude glob. Globs run on RE2, so even a hostile glob costs linear time.
Bad globs raise ValueError with a readable message.
"""

from __future__ import annotations

import re2

MAX_GLOB = 1000  # characters
MAX_GLOBS = 100
_SLASH = 0x2F


class PathFilter:
    """Decides from a display path whether a file is searched."""

    def __init__(self, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> None:
        if len(include) + len(exclude) > MAX_GLOBS:
            raise ValueError(f"more than {MAX_GLOBS} path globs")
        self._include = _compile(include)
        self._exclude = _compile(exclude)

    @property
    def everything(self) -> bool:
        return self._include is None and self._exclude is None

    def __call__(self, display: str) -> bool:
        path = display.encode("utf-8", "surrogateescape")
        if self._include is not None and self._include.search(path) is None:
            return False
        return self._exclude is None or self._exclude.search(path) is None


def _compile(globs: tuple[str, ...]):
    if not globs:
        return None
    options = re2.Options()
    options.never_capture = True
    pattern = "|".join(f"(?:{translate(g)})" for g in globs)
    try:
        return re2.compile(pattern.encode("utf-8"), options)
    except re2.error as exc:  # only a glob too large for RE2's memory budget
        raise ValueError(f"the path globs are too complex: {exc}") from None


def translate(glob: str) -> str:
    """An RE2 pattern that finds a match in exactly the display paths `glob` selects."""
    if not isinstance(glob, str):
        raise ValueError(f"a path glob must be text, not {type(glob).__name__}")
    if len(glob) > MAX_GLOB:
        raise ValueError(f"a path glob is longer than {MAX_GLOB} characters")
    if "\n" in glob or "\x00" in glob:
        raise ValueError("a path glob cannot contain a line feed or NUL")
    dir_only = glob.endswith("/")
    body = glob.rstrip("/")
    anchored = body.startswith("/") or "/" in body
    body = body.lstrip("/")
    if not body:
        raise ValueError(f"empty path glob: {glob!r}")
    parts = body.split("/")
    tail = "/" if dir_only else "(?:/|$)"
    if not anchored:
        if parts[0] == "**":
            return "^" if not dir_only else "/"
        return "(?:^|/)" + _component(parts[0]) + tail
    out = "^"
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out += ".*" if last else "(?:.*/)?"
        else:
            out += _component(part) + ("" if last else "/")
    return out + ("" if parts[-1] == "**" and not dir_only else tail)


def _component(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            cls, i = _bracket(text, i)
            out.append(cls)
            continue
        elif ch == "\\":
            if i + 1 == len(text):
                raise ValueError(f"a path glob ends with a backslash: {text!r}")
            i += 1
            out.append(_char(ord(text[i])))
        else:
            out.append(_char(ord(ch)))
        i += 1
    return "".join(out)


def _bracket(text: str, start: int) -> tuple[str, int]:
    """The class that starts at text[start] == '[', and the index after its ']'."""
    i = start + 1
    negate = i < len(text) and text[i] in "!^"
    if negate:
        i += 1
    ranges: list[tuple[int, int]] = []
    first = True
    while True:
        if i >= len(text):
            raise ValueError(f"unclosed [ in path glob: {text!r}")
        ch = text[i]
        if ch == "]" and not first:
            break
        first = False
        lo = ord(ch)
        if i + 2 < len(text) and text[i + 1] == "-" and text[i + 2] != "]":
            hi = ord(text[i + 2])
            if hi < lo:
                raise ValueError(f"bad range {text[i : i + 3]!r} in path glob")
            ranges.append((lo, hi))
            i += 3
        else:
            ranges.append((lo, lo))
            i += 1
    items = "".join(_range(a, b) for a, b in _without_slash(ranges))
    if negate:
        return f"[^{items}\\x{{2f}}]", i + 1
    return (f"[{items}]" if items else "[^\\x00-\\x{10ffff}]"), i + 1


def _without_slash(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in ranges:
        if a <= _SLASH <= b:
            out += [r for r in ((a, _SLASH - 1), (_SLASH + 1, b)) if r[0] <= r[1]]
        else:
            out.append((a, b))
    return out


def _range(a: int, b: int) -> str:
    return _char(a) if a == b else f"{_char(a)}-{_char(b)}"


def _char(code: int) -> str:
    ch = chr(code)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{code:x}}}"
