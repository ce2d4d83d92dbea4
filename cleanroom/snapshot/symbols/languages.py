"""Which files get symbols, and which ctags parser reads them: by the file
name's extension, never by content, so the choice is the same on every machine.
"""

from __future__ import annotations

# extension (lowercase, without the dot) -> ctags language
BY_EXTENSION = {
    "c": "C",
    "h": "C",
    "cc": "C++",
    "cpp": "C++",
    "cxx": "C++",
    "hh": "C++",
    "hpp": "C++",
    "hxx": "C++",
    "py": "Python",
    "pyi": "Python",
    "java": "Java",
    "go": "Go",
    "js": "JavaScript",
    "mjs": "JavaScript",
    "cjs": "JavaScript",
    "jsx": "JavaScript",
    "ts": "TypeScript",
    "mts": "TypeScript",
    "cts": "TypeScript",
    "tsx": "TypeScript",
    "rs": "Rust",
}


def language_of(path: bytes) -> str | None:
    """The ctags language for a file path, or None if it gets no symbols."""
    name = path.rsplit(b"/", 1)[-1]
    stem, dot, ext = name.rpartition(b".")
    if not dot or not stem:
        return None
    try:
        return BY_EXTENSION.get(ext.decode("ascii").lower())
    except UnicodeDecodeError:
        return None
