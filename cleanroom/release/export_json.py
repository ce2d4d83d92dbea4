"""JSON from a valid release: the released notes, as the release holds them."""

from __future__ import annotations

from typing import Any

from .released import leaving


def released_json(release: dict[str, Any]) -> dict[str, Any]:
    keep = ("format", "released_at", "released_by", "snapshot", "ledgers")
    return {**{k: release[k] for k in keep}, "notes": leaving(release)}
