"""Drive a program in a real terminal (tmux), as a user would: type keys, read
the screen, and capture the raw bytes the program wrote to the terminal."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

TIMEOUT = 30.0  # seconds for any one tmux command, as for a `tmux` process


class Control:
    """One tmux control-mode client (`tmux -C`) attached to a session: a command is
    a line on its stdin, and its answer the lines between the `%begin` and the
    `%end` (or `%error`) that carry the same number. A test asks tmux thousands of
    times (each screen read, each key); one process per ask cost ~5 ms of CPU and
    ~15 ms on a loaded machine each, a line here ~0.05 ms. It attaches with
    `no-output` (the pane's bytes are not sent to it; pipe-pane logs them) and,
    having no size of its own, does not resize the window."""

    def __init__(self, socket: str, session: str) -> None:
        self._proc = subprocess.Popen(
            ["tmux", "-S", socket, "-C", "attach-session", "-t", session, "-f", "no-output"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._buffer = b""
        self._lock = threading.Lock()

    @staticmethod
    def quotable(args: tuple[str, ...]) -> bool:
        """Whether each argument goes verbatim inside tmux's single quotes (no quote,
        no control character: a newline would end the command line)."""
        return all("'" not in a and all(" " <= c != "\x7f" for c in a) for a in args)

    def run(self, args: tuple[str, ...]) -> tuple[bool, str] | None:
        """(succeeded, output) of one command; None once the client has gone (its
        server or session ended), when a `tmux` process must answer instead."""
        with self._lock:
            if self._proc.poll() is not None:
                return None
            line = " ".join(f"'{a}'" for a in args) + "\n"
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(line.encode())
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                return None
            return self._answer()

    def _line(self, deadline: float) -> bytes | None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"tmux did not answer within {TIMEOUT}s")
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _answer(self) -> tuple[bool, str] | None:
        """Skip notifications and the attach's own block (flag 0) to the block of
        this client's command (flag 1); its lines up to the end line of the same
        number, so a screen line that reads like one cannot end it early."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            line = self._line(deadline)
            if line is None:
                return None
            fields = line.split(b" ")
            if fields[0] == b"%begin" and fields[3:] == [b"1"]:
                break
        tail = b" ".join(fields[1:])
        out: list[bytes] = []
        while True:
            line = self._line(deadline)
            if line is None:
                return None
            if line in (b"%end " + tail, b"%error " + tail):
                text = b"".join(x + b"\n" for x in out).decode()
                return line.startswith(b"%end"), text
            out.append(line)

    def close(self) -> None:
        with self._lock:
            if self._proc.stdin is not None:
                try:
                    self._proc.stdin.close()
                except OSError:
                    pass
            try:
                self._proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()


class Tmux:
    def __init__(self, workdir: Path, width: int = 120, height: int = 36) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is required (.ci/run installs it)")
        self.name = f"cr-{uuid.uuid4().hex[:8]}"
        self.socket = str(workdir / "tmux.sock")
        self.width, self.height = width, height
        self.raw_log = workdir / "pane.raw"
        self._control: Control | None = None

    def _tmux(self, *args: str, check: bool = True) -> str:
        """One tmux command: through the control client once started (see Control),
        else (before it, after its server ended, or an argument it cannot quote) a
        `tmux` process. Either way it fails as tmux says."""
        if self._control is not None and Control.quotable(args):
            answer = self._control.run(args)
            if answer is not None:
                ok, text = answer
                if check and not ok:
                    raise RuntimeError(f"tmux {args[0]} failed: {text}")
                return text if ok else ""
        out = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True,
                             text=True, timeout=TIMEOUT)  # fmt: skip
        if check and out.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {out.stderr}")
        return out.stdout

    def start(self, command: str, env: dict[str, str] | None = None) -> None:
        # COLUMNS/LINES from the test runner would override the real pane size.
        sized = {"COLUMNS": str(self.width), "LINES": str(self.height), **(env or {})}
        env_args = [a for k, v in sized.items() for a in ("-e", f"{k}={v}")]
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", self.name, "-x",
                   str(self.width), "-y", str(self.height), *env_args, command)  # fmt: skip
        self._tmux("set-option", "-t", self.name, "remain-on-exit", "on")
        self._tmux("resize-window", "-t", self.name, "-x", str(self.width), "-y", str(self.height))
        self._tmux("set-option", "-g", "set-clipboard", "off")
        self._tmux("pipe-pane", "-t", self.name, "-o", f"cat >> {self.raw_log}")
        self._control = Control(self.socket, self.name)
        size = self._tmux("display-message", "-p", "-t", self.name,
                          "#{window_width}x#{window_height}").strip()  # fmt: skip
        if size != f"{self.width}x{self.height}":
            raise RuntimeError(f"the control client resized the window to {size}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def pause(self, most: float = 0.1) -> None:
        """Sleep until the program writes to its terminal, or `most` seconds. The screen
        changes only when it writes (the raw log grows once tmux has parsed the bytes),
        so a poll wakes within 10 ms of a change instead of after a fixed sleep, and
        an idle screen is still read again every `most` seconds. Once it writes, it
        returns when the output has paused for 10 ms (or at `most`): tmux reads a
        frame from the terminal in pieces and answers a capture between two, so a
        screen read at once could show a frame's top rows over the one before it
        (the control client answers in ~0.1 ms, where a tmux process took 5-70)."""
        before = self._raw_size()
        deadline = time.monotonic() + most
        while time.monotonic() < deadline:
            time.sleep(0.01)
            size = self._raw_size()
            if size != before:
                while time.monotonic() < deadline:
                    time.sleep(0.01)
                    size, before = self._raw_size(), size
                    if size == before:
                        return
                return

    def _raw_size(self) -> int:
        try:
            return self.raw_log.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            self.pause()
        raise AssertionError(f"{text!r} did not appear within {timeout}s; screen:\n{self.screen()}")

    def wait_until(self, shows: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """The first screen that `shows` accepts, read each time the program writes
        (`pause`), not after a quiet period: a test that knows the exact screen a key
        must produce waits for that screen and no longer (`settle` waits 0.15 s of
        quiet at least, however soon the screen is right)."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if shows(shown):
                return shown
            if time.monotonic() >= deadline:
                raise AssertionError(f"{what}: not shown within {timeout}s; screen:\n{shown}")
            self.pause()

    def settle(self, quiet: float = 0.15, timeout: float = 30.0) -> str:
        """The screen once the program has done all a key asked: two captures `quiet`
        s apart agree, it wrote nothing in between and used no CPU (cpu_ticks: idle,
        not merely starved of it on a loaded machine). A key sent then goes where the
        screen says, where a fixed sleep is too short under load and too long without.
        (A blinking cursor writes twice a second: the quiet between blinks counts.)"""
        deadline = time.monotonic() + timeout
        last, ticks, size = self.screen(), self.cpu_ticks(), self._raw_size()
        while time.monotonic() < deadline:
            self.pause(quiet)
            now, now_ticks, now_size = self.screen(), self.cpu_ticks(), self._raw_size()
            if now == last and ticks is not None and now_ticks == ticks and now_size == size:
                return now
            last, ticks, size = now, now_ticks, now_size
        raise AssertionError(f"the screen did not settle within {timeout}s:\n{last}")

    def press_until(self, key: str, text: str, tries: int = 3, timeout: float = 10.0) -> str:
        """Press `key` until `text` appears: a key sent while a dialog is still
        closing goes to that dialog, as it would for a person typing that fast."""
        for attempt in range(tries):
            self.keys(key)
            try:
                return self.wait_for(text, timeout)
            except AssertionError:
                if attempt == tries - 1:
                    raise
        raise AssertionError("unreachable")

    def cpu_ticks(self) -> int | None:
        """CPU time used so far by the pane's processes (the program and its children),
        in clock ticks; None while any of their threads is running, waiting to run or
        waiting on the disk. Two equal readings around an unchanged screen mean the
        program was idle in between, not merely starved of CPU on a loaded machine."""
        pane = int(self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}"))
        # The tree from each thread's children list (not a scan of every process on
        # the machine: ~10 ms of CPU a reading, and the screen settles by readings).
        ticks, todo, seen = 0, [pane], set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read().rpartition(")")[2].split()
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue  # it ended meanwhile
            ticks += int(stat[11]) + int(stat[12])  # utime + stime
            for task in tasks:
                try:
                    with open(f"/proc/{pid}/task/{task}/stat") as f:
                        state = f.read().rpartition(")")[2].split()[0]
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo += [int(child) for child in f.read().split()]
                except OSError:
                    continue
                if state in ("R", "D"):
                    return None
        return ticks

    def dead(self) -> bool:
        return self._tmux("display-message", "-p", "-t", self.name, "#{pane_dead}").strip() == "1"

    def wait_exit(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dead():
                return
            self.pause()
        raise AssertionError(f"the program did not exit; screen:\n{self.screen()}")

    def raw(self) -> bytes:
        return self.raw_log.read_bytes() if self.raw_log.exists() else b""

    def close(self) -> None:
        control, self._control = self._control, None
        self._tmux("kill-server", check=False)
        if control is not None:
            control.close()  # its server has gone: it has exited, or does now
        if os.path.exists(self.socket):
            os.unlink(self.socket)


def review_pid(term: Tmux) -> int:
    """The pid of the review process: the child of the pane's shell running it. A
    signal meant for the review goes to this pid alone: a pattern (`pkill -f`) also
    matches the pane's shell and the tmux server, whose command lines name the
    review too, and killing either hangs up the terminal (SIGHUP to the review)."""
    shell = term._tmux("display-message", "-p", "-t", term.name, "#{pane_pid}").strip()
    for _ in range(50):
        out = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True).stdout
        for pid in out.split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue  # it ended meanwhile
            if b"-m\0cleanroom\0review" in cmdline:
                return int(pid)
        time.sleep(0.1)
    raise AssertionError("no review process found under the pane")


def end_review(term: Tmux) -> tuple[str, bytes]:
    """End a `cleanroom review` started as `...; echo EXIT=$?` (with its verify
    line): q, confirm, Enter past the final witness code; the review must exit 0
    and its ledger verify INTACT. Returns the screen with the final witness code
    and every byte the terminal was sent."""
    term.press_until("q", "End this review session?")
    term.keys("y")
    sealed = term.wait_for("FINAL witness code")
    term.keys("Enter")
    done = term.wait_for("EXIT=", timeout=60)
    assert "EXIT=0" in done and "INTACT" in done, done
    return sealed, term.raw()
