"""Where a session's files are: the places the guard watches.

Paths are made absolute and resolved once (`Places.of`), because the watcher
reports events under the directories it was given, and every comparison in
`classify` is a plain string comparison against these.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SIDECARS = ("-wal", "-journal", "-shm")  # SQLite's files beside a database
EVIDENCE_SUFFIXES = (".ledger", ".ledger-wal", ".ledger-journal", ".receipt.json")


@dataclass(frozen=True)
class Places:
    snapshot: str  # the snapshot file under review
    ledger: str  # the live ledger file of this session
    keys: tuple[str, ...] = ()  # directories holding the workstation's keys and certificate
    media: tuple[str, ...] = ()  # removable-media roots
    key_files: tuple[str, ...] = ()  # each key file wherever it lives (reviewer's, trusted)

    @classmethod
    def of(
        cls,
        snapshot: Path,
        ledger: Path,
        keys: Iterable[Path] = (),
        media: Iterable[Path] = (),
        key_files: Iterable[Path] = (),
    ) -> Places:
        return cls(
            _real(snapshot),
            _real(ledger),
            tuple(dict.fromkeys(_real(k) for k in keys)),
            tuple(dict.fromkeys(_real(m) for m in media)),
            tuple(dict.fromkeys(_real(f) for f in key_files)),
        )

    @property
    def snapshot_dir(self) -> str:
        return os.path.dirname(self.snapshot)

    @property
    def ledger_dir(self) -> str:
        return os.path.dirname(self.ledger)

    @property
    def live_ledger_files(self) -> tuple[str, str]:
        """The files Cleanroom itself writes during the session: the ledger and its WAL."""
        return self.ledger, self.ledger + "-wal"

    @property
    def key_file_dirs(self) -> tuple[str, ...]:
        """The directories watched for the key files (not recursive: only the files
        themselves matter there)."""
        return tuple(dict.fromkeys(os.path.dirname(f) for f in self.key_files))

    def is_snapshot(self, path: str) -> bool:
        return path == self.snapshot or any(path == self.snapshot + s for s in SIDECARS)


def under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def is_evidence(name: str) -> bool:
    """A ledger, its sidecar, or a seal receipt (by name)."""
    return name.endswith(EVIDENCE_SUFFIXES)


def _real(path: Path | str) -> str:
    return os.path.realpath(os.path.abspath(path))
