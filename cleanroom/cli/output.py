"""Writing an output file so that no reader ever sees half of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_atomically(path: Path, write: Callable[[IO[str]], None], replace: bool = True) -> None:
    """Write through a temporary file beside `path`, then rename it into place.
    With `replace` False, a file at `path` is never replaced, not even one made
    while this one was written (a check at the start would not see it): the
    temporary file is linked to `path`, which fails with FileExistsError if
    anything is there, and nothing is left behind."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.chmod(tmp, 0o644)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path, follow_symlinks=False)  # FileExistsError: kept as it is
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
