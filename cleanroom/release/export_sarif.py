"""SARIF 2.1.0 from a valid release: one result per released note, locations only.

Valid against the official schema (tests/data/sarif-schema-2.1.0.json). Each
result's rule is the note's kind; its level follows the severity (critical and
high: error, medium: warning, the rest: note); its location is the file (as a
relative URI) and the line range, and no source text. The title and body are
sanitized line by line, as wherever a note is shown (atk16). The note id is a partial
fingerprint, so viewers track a note across exports.
"""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any

from ..sanitize import sanitize
from .released import leaving

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
RULES = ("finding", "question", "remark")


def sarif(release: dict[str, Any], tool_version: str) -> dict[str, Any]:
    results = [_result(n) for n in leaving(release)]
    rules = [{"id": r, "shortDescription": {"text": f"Reviewer {r}"}} for r in RULES]
    by = release["released_by"]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "cleanroom", "version": tool_version, "rules": rules}},
                "results": results,
                "properties": {
                    "releasedAt": release["released_at"],
                    "releasedBy": f"{by['name']} ({by['org']})",
                    "snapshot": release["snapshot"]["id"],
                },
            }
        ],
    }


def _result(n: dict[str, Any]) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(n)}}
    if n["first"]:
        location["region"] = {"startLine": n["first"], "endLine": n["last"]}
    text = _clean(n["title"]) + ("\n\n" + _clean(n["body"]) if n["body"] else "")
    return {
        "ruleId": n["note_kind"],
        "ruleIndex": RULES.index(n["note_kind"]),
        "level": LEVELS.get(n["severity"], "note"),
        "message": {"text": text or "(no text)"},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"cleanroomNote/v1": n["note"]},
        "properties": {
            "severity": n["severity"],
            "version": n["version"],
            "versionHash": n["version_hash"],
            "redacted": n.get("redacted", []),
            "reviewer": n["reviewer"],
        },
    }


def _clean(text: str) -> str:
    """Untrusted text as viewers show it: each line through the one sanitizer, so a
    control, bidi or invisible character arrives as its tag (`⟨RLO⟩`)."""
    return "\n".join(sanitize(line).text for line in text.split("\n"))


def _uri(n: dict[str, Any]) -> str:
    """The path as a relative URI reference: every byte outside the unreserved set
    and `/` percent-encoded, from the exact bytes when the name is not UTF-8."""
    raw = base64.b64decode(n["path_b64"]) if "path_b64" in n else n["path"].encode("utf-8")
    return urllib.parse.quote(raw.lstrip(b"/"), safe="/")
