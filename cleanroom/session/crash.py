"""Ending a session after the terminal crashed, without showing what crashed.

A traceback with local variables may hold source text, so it never reaches the
screen: it goes to a crash file that only the recorder's owner can read, the
ledger names the file's SHA-256 (a `crash` entry) and the session is sealed.
Every step may fail (the crash may come from a full disk); what could not be
done is left undone and said, and an unsealed ledger stays resumable.
docs/events.md ("After a crash") is the contract.
"""

from __future__ import annotations

import hashlib
import os
import reprlib
import stat
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .events import Crash

CRASH_DIR = "crashes"
LOCAL_CHARS = 200  # each local variable's repr is cut to this
MAX_FRAMES = 64

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = LOCAL_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 10


@dataclass(frozen=True)
class CrashFile:
    path: Path
    sha256: str


UNSEALED = "The session is not sealed; the next `cleanroom review` resumes or closes it."


@dataclass(frozen=True)
class CrashOutcome:
    """What was done: each part None (or False) when it could not be done;
    `failure` says why the first step that failed did (the crash file, the
    `crash` entry or the seal: the first part missing says which), and
    `unsealed` what becomes of a session left unsealed (the one piece of advice
    the screen gives)."""

    crash_file: CrashFile | None
    recorded: bool
    receipt: Any  # the seal's Receipt, or None: the ledger is left to resume
    failure: str = ""
    unsealed: str = UNSEALED


def describe(error: BaseException) -> str:
    """The traceback of `error` with each frame's locals, every repr bounded."""
    lines = ["".join(traceback.format_exception(type(error), error, error.__traceback__))]
    tb: TracebackType | None = error.__traceback__
    frames = 0
    while tb is not None and frames < MAX_FRAMES:
        code = tb.tb_frame.f_code
        lines.append(f"\n-- {code.co_filename}:{tb.tb_lineno} in {code.co_name}\n")
        for name, value in list(tb.tb_frame.f_locals.items()):
            try:
                shown = _REPR.repr(value)
            except Exception as exc:  # a hostile __repr__ must not stop the report
                shown = f"<repr failed: {type(exc).__name__}>"
            lines.append(f"   {name} = {shown[: LOCAL_CHARS * 2]}\n")
        tb, frames = tb.tb_next, frames + 1
    return "".join(lines)


def outline(error: BaseException) -> str:
    """The traceback of `error` as frames (file, line, function) and exception class
    names only: no message, no locals, no line of code. What the terminal of
    `review --connect` sends the recorder (`crash`, docs/protocol.md): an
    exception's message may quote source, and the terminal's report may not carry
    any source the ledger does not already name."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}\n")
        for frame in traceback.extract_tb(current.__traceback__, limit=MAX_FRAMES):
            parts.append(f"  {frame.filename}:{frame.lineno} in {frame.name}\n")
        current = current.__cause__ or current.__context__
        if current is not None:
            parts.append("raised while handling\n")
    return "".join(parts)


def write_crash_file(ledger_path: Path, details: str) -> CrashFile:
    """Write `details` to `<ledger dir>/crashes/<ledger name>-<ns>.crash`: the directory
    0700 and the file 0600, owned by this user, created without following links.
    Raises OSError."""
    directory = ledger_path.parent / CRASH_DIR
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise OSError(f"{directory} is not a directory of this user")
    os.chmod(directory, 0o700)  # an existing one may have been created looser
    data = details.encode("utf-8", "backslashreplace")
    path = directory / f"{ledger_path.name}-{time.time_ns()}.crash"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return CrashFile(path, hashlib.sha256(data).hexdigest())


def end_after_crash(session: Any, error: BaseException, countersigner: object) -> CrashOutcome:
    """`end_with_report` with the details of `error` (locals included: the file is
    the recorder owner's alone). Never raises."""
    try:
        details = describe(error)
    except Exception as exc:  # a hostile object must not stop the end
        details = f"{type(error).__qualname__} (not described: {type(exc).__name__})"
    return end_with_report(session, type(error).__qualname__, details, countersigner)


def end_with_report(session: Any, error: str, details: str,
                    countersigner: object) -> CrashOutcome:  # fmt: skip
    """Stop the guard, write `details` to the crash file, record `crash` (naming the
    class `error`), seal with reason `crash`. Never raises: a step that fails
    leaves the later ones undone (the ledger then stays unsealed and resumable),
    and the outcome says why. The in-process terminal and the recorder (for the
    `crash` request of `review --connect`) both end a crashed session here."""
    recorder = session.recorder
    guard = session.guard
    try:
        if guard is not None and guard.running:  # before the crash file: it is our own write
            for alert in guard.stop():
                recorder.record(alert)
    except Exception as exc:
        return CrashOutcome(None, False, None, f"the guard's last alerts: {_why(exc)}")
    try:
        ledger_path = Path(recorder.ledger.path)
        crash_file = write_crash_file(ledger_path, details)
    except Exception as exc:
        return CrashOutcome(None, False, None, _why(exc))
    try:
        recorder.record(Crash(error[:200], crash_file.path.name, crash_file.sha256))
    except Exception as exc:
        return CrashOutcome(crash_file, False, None, _why(exc))
    try:
        receipt = session.seal(countersigner, "crash")
    except Exception as exc:
        return CrashOutcome(crash_file, True, None, _why(exc))
    return CrashOutcome(crash_file, True, receipt)


def _why(exc: BaseException) -> str:
    """A failure's reason for the screen: an OSError's own words and file name (the
    recorder's paths, never source), else its message (the guard's, the ledger's
    and the seal's errors: about files and disks, never source), cut short."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc)[:300] or type(exc).__name__
