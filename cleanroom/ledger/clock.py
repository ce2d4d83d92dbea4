"""The one clock: wall time, monotonic time and the boot they belong to."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")


class Clock(Protocol):
    def now(self) -> tuple[int, int]:
        """(wall_us, mono_us): wall-clock and CLOCK_MONOTONIC microseconds."""
        ...

    @property
    def boot(self) -> bytes:
        """16 bytes naming the boot that mono_us counts from."""
        ...


class SystemClock:
    def __init__(self) -> None:
        self._boot = read_boot_id()

    def now(self) -> tuple[int, int]:
        return time.time_ns() // 1000, time.monotonic_ns() // 1000

    @property
    def boot(self) -> bytes:
        return self._boot


def read_boot_id() -> bytes:
    """The kernel's boot id; a fresh random id where the kernel has none (not Linux)."""
    try:
        return uuid.UUID(BOOT_ID_PATH.read_text().strip()).bytes
    except (OSError, ValueError):
        return _FALLBACK_BOOT


_FALLBACK_BOOT = uuid.uuid4().bytes


@dataclass
class SteppingClock:
    """A deterministic clock for tests and vectors: each reading advances by `step_us`."""

    wall_us: int = 1_790_000_000_000_000
    mono_us: int = 1_000_000
    step_us: int = 1_000
    boot: bytes = b"\x42" * 16

    def now(self) -> tuple[int, int]:
        self.wall_us += self.step_us
        self.mono_us += self.step_us
        return self.wall_us, self.mono_us
