"""The reviewer process's memory, closed to other processes of the same user.

The process that runs the reviewer terminal holds the workstation private key,
the per-entry keys and the mapped snapshot. Two ways out, both without any alert:

- a core file: `ulimit -c unlimited` and a SIGQUIT (or any crash signal) write
  the whole address space to disk;
- another process of the same user reading `/proc/PID/mem` or attaching with
  ptrace.

`harden` sets `RLIMIT_CORE` to 0 (soft and hard: the process cannot raise it
again) and makes the process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): the
kernel then writes no core file, and `/proc/PID/mem`, `/proc/PID/environ`, ptrace
and `process_vm_readv` need CAP_SYS_PTRACE, which a process of the same user
does not have. Root still can (docs/threat-model.md; issue 13's recorder keeps
the key out of this process). Dumpability is reset by `execve`, so this runs in
the process that shows source, as early as `review` and `demo` start, and
before the audit policy (which refuses ctypes) goes in.

Standard library only.
"""

from __future__ import annotations

import resource

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4


class NotHardened(RuntimeError):
    """The process could not be made non-dumpable, or its core limit not zeroed."""


def _prctl(option: int, arg: int) -> int:
    import ctypes  # only here, before the audit policy: it refuses ctypes afterwards

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.restype = ctypes.c_int
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]  # fmt: skip
    result = int(libc.prctl(option, arg, 0, 0, 0))
    if result < 0:
        raise NotHardened(f"prctl({option}) failed: errno {ctypes.get_errno()}")
    return result


def dumpable() -> bool:
    """Whether the kernel would write a core file for, or let the same user read
    the memory of, this process."""
    return _prctl(PR_GET_DUMPABLE, 0) != 0


def core_limit() -> tuple[int, int]:
    return resource.getrlimit(resource.RLIMIT_CORE)


def harden() -> None:
    """No core file, no same-user memory reads. Raises NotHardened when either
    could not be done: the caller refuses to start (fail closed)."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError) as exc:
        raise NotHardened(f"the core file size limit could not be set to 0: {exc}") from exc
    try:
        _prctl(PR_SET_DUMPABLE, 0)
        still = dumpable()
    except (OSError, AttributeError, ImportError) as exc:  # no prctl: not Linux
        raise NotHardened(f"the process could not be made non-dumpable: {exc}") from exc
    if still or core_limit() != (0, 0):
        raise NotHardened("the process is still dumpable or may still write a core file")
