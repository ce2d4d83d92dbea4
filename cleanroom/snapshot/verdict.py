"""A snapshot verdict: the findings of one check of one snapshot file, and its status.

`verify.py` fills a `Report`; the CLI prints it (text or JSON, docs/snapshot-format.md
§5) and exits with its status's code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .findings import Finding, Severity
from .manifest import Manifest, as_json
from .naming import SourceComparison

VERDICT_FORMAT = "cleanroom.snapshot-verdict.v1"
PER_CODE = 50  # findings kept per code; the rest are counted


class Status(StrEnum):
    INTACT = "INTACT"
    TAMPERED = "TAMPERED"


EXIT_CODES = {Status.INTACT: 0, Status.TAMPERED: 1}


@dataclass
class Report:
    """The verdict on one snapshot file."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    omitted: Counter[str] = field(default_factory=Counter)  # findings over PER_CODE
    manifest: Manifest | None = None
    snapshot_id: str | None = None
    checked: dict[str, int] = field(default_factory=dict)
    signed: bool = False  # a trusted vendor key verified the manifest signature
    readable: bool = False  # exact schema and sound b-trees: the tables were read
    source: SourceComparison | None = None

    def add(self, code: str, message: str, path: bytes | None = None) -> None:
        if sum(f.code == code for f in self.findings) >= PER_CODE:
            self.omitted[code] += 1
        else:
            self.findings.append(Finding(code, message, path))

    @property
    def status(self) -> Status:
        bad = any(f.severity is Severity.TAMPER for f in self.findings)
        return Status.TAMPERED if bad else Status.INTACT

    def to_json(self) -> dict[str, Any]:
        return {
            "format": VERDICT_FORMAT,
            "path": self.path,
            "status": self.status.value,
            "exit_code": EXIT_CODES[self.status],
            "snapshot_id": self.snapshot_id,
            "manifest": None if self.manifest is None else as_json(self.manifest),
            "checked": self.checked,
            "findings": [f.to_json() for f in self.findings],
            "omitted": dict(self.omitted),
            "source": None if self.source is None else self.source.to_json(),
        }
