"""Drive a program in a real terminal (tmux), as a user would: type keys, read
the screen, and capture the raw bytes the program wrote to the terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path


class Tmux:
    def __init__(self, workdir: Path, width: int = 120, height: int = 36) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is required (.ci/run installs it)")
        self.name = f"cr-{uuid.uuid4().hex[:8]}"
        self.socket = str(workdir / "tmux.sock")
        self.width, self.height = width, height
        self.raw_log = workdir / "pane.raw"

    def _tmux(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True,
                             text=True, timeout=30)  # fmt: skip
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
        an idle screen is still read again every `most` seconds."""
        before = self._raw_size()
        deadline = time.monotonic() + most
        while time.monotonic() < deadline:
            time.sleep(0.01)
            if self._raw_size() != before:
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
        stats: dict[int, list[str]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/stat") as f:
                        stats[int(entry.name)] = f.read().rpartition(")")[2].split()
                except OSError:
                    continue  # it ended meanwhile
        tree, grew = {pane}, True
        while grew:
            more = {pid for pid, st in stats.items() if int(st[1]) in tree} - tree
            tree |= more
            grew = bool(more)
        ticks = 0
        for pid in tree & stats.keys():
            ticks += int(stats[pid][11]) + int(stats[pid][12])  # utime + stime
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for task in tasks:
                try:
                    with open(f"/proc/{pid}/task/{task}/stat") as f:
                        state = f.read().rpartition(")")[2].split()[0]
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
        self._tmux("kill-server", check=False)
        if os.path.exists(self.socket):
            os.unlink(self.socket)


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
