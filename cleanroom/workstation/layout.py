"""Where a workstation keeps everything, and who owns it (ADR 0203).

Paths here are the *final* ones, as the running system sees them; `Layout.at`
puts one under the install prefix (`--root`), which tests use so that they never
write into the real /etc. Files name final paths in their contents (the unit, the
kiosk login, workstation.toml), as a package built with DESTDIR does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SERVICE = "cleanroom-recorder"
GROUP = "cleanroom-reviewers"

ETC = "/etc/cleanroom"
CONFIG = "/etc/cleanroom/workstation.toml"
STATE = "/var/lib/cleanroom"
SNAPSHOT_DIR = "/var/lib/cleanroom/snapshot"
SNAPSHOT = "/var/lib/cleanroom/snapshot/current.snapshot"
KEYS_DIR = "/var/lib/cleanroom/keys"
WORKSTATION_KEY = "/var/lib/cleanroom/keys/workstation.key"
CERT = "/var/lib/cleanroom/keys/workstation.cert"
TRUST = "/var/lib/cleanroom/keys/vendor.pub"
# The passphrase of a passphrase-protected workstation key: the recorder runs
# unattended, so it reads it here (the service's alone, 0400).
PASSPHRASE = "/var/lib/cleanroom/keys/workstation.passphrase"  # noqa: S105 - a path
LEDGERS = "/var/lib/cleanroom/ledgers"
RUN = "/run/cleanroom"
SOCKET = "/run/cleanroom/recorder.sock"
UNIT_NAME = "cleanroom-recorder.service"
UNIT = "/etc/systemd/system/cleanroom-recorder.service"
LIBEXEC = "/usr/local/lib/cleanroom"
KIOSK = "/usr/local/lib/cleanroom/kiosk-login"

# The trees only the service may read: everything below them is checked.
PROTECTED = (ETC, STATE)


@dataclass(frozen=True)
class Layout:
    """One workstation's names: the install prefix and the two account names."""

    root: Path = Path("/")
    service: str = SERVICE
    group: str = GROUP

    def at(self, final: str) -> Path:
        """`final` (an absolute path on the running system) under the prefix."""
        return self.root / final.lstrip("/")
