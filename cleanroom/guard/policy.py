"""What the guard does about each kind of alert, and the other knobs it reads.

An alert belongs to one `Category` (a stable name written into the ledger) and
gets the `Response` its policy names: `record` (a ledger entry and a banner),
`lock` (also blank the screen until unlocked) or `end` (also seal the session
with the reason). `Policy.for_mode` gives the defaults for `review` and `demo`;
`Policy.from_dict` overrides them from a table (the `[guard]` section of a
workstation TOML). Unknown names are errors, never ignored: a typo in a
security setting must not silently weaken it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any


class PolicyError(ValueError):
    """The guard settings name something unknown or hold a value out of range."""


class Category(StrEnum):
    SNAPSHOT_ACCESS = "snapshot_access"  # the snapshot file opened, changed, moved or linked
    KEYS_ACCESS = "keys_access"  # anything in a keys directory opened or changed
    LEDGER_TAMPER = "ledger_tamper"  # a ledger or receipt changed, moved or deleted
    LEDGER_COPY = "ledger_copy"  # a ledger or receipt opened, or a new file beside them
    MEDIA = "media"  # a mount, or files appearing, under the removable-media roots
    NETWORK = "network"  # a non-loopback interface up, or a default route
    BULK_READ = "bulk_read"  # lines shown faster than a person reads, for a while
    GUARD_FAILURE = "guard_failure"  # the guard itself stopped seeing something


class Response(StrEnum):
    """Ordered by severity: a stronger response includes what the weaker ones do."""

    RECORD = "record"
    LOCK = "lock"
    END = "end"

    @property
    def rank(self) -> int:
        return list(Response).index(self)


class AirGapAction(StrEnum):
    """What starting a session does when the workstation is not air-gapped."""

    REFUSE = "refuse"
    RECORD = "record"


MODES = ("review", "demo")
DEFAULT_MEDIA_ROOTS = (Path("/media"), Path("/run/media"), Path("/mnt"))

_REVIEW = {
    Category.SNAPSHOT_ACCESS: Response.LOCK,
    Category.KEYS_ACCESS: Response.LOCK,
    Category.LEDGER_TAMPER: Response.END,
    Category.LEDGER_COPY: Response.RECORD,
    Category.MEDIA: Response.RECORD,
    Category.NETWORK: Response.RECORD,
    Category.BULK_READ: Response.RECORD,
    # Fail closed: an unwatched session is not one the guard can vouch for.
    Category.GUARD_FAILURE: Response.LOCK,
}
_DEMO = dict.fromkeys(Category, Response.RECORD)  # the demo must run anywhere


@dataclass(frozen=True)
class Horizon:
    """At most `lines_per_second` new lines per second on average over any
    `seconds` seconds."""

    seconds: float
    lines_per_second: float

    def __post_init__(self) -> None:
        if not (self.seconds > 0 and self.lines_per_second > 0):
            raise PolicyError("bulk limits must be positive")


# A person reads a few lines of code a second; a 50-line screen every 8 s (6 a
# second) for an hour is the fastest reading these stay silent for. The 10 s
# horizon allows a burst of jumps (goto, results, one tall screen: 500 lines).
DEFAULT_HORIZONS = (Horizon(10, 50), Horizon(60, 15), Horizon(600, 8))


@dataclass(frozen=True)
class BulkLimits:
    """Bulk capture: more new lines per second than a horizon's limit, averaged over
    that horizon, for any of the `horizons`."""

    horizons: tuple[Horizon, ...] = DEFAULT_HORIZONS

    def __post_init__(self) -> None:
        if not self.horizons:
            raise PolicyError("bulk needs at least one horizon")

    @classmethod
    def from_table(cls, table: Any) -> BulkLimits:
        """`{seconds: lines per second}`, e.g. `{"10": 30, "60": 12}` (TOML keys are
        strings). The table replaces the defaults whole. Raises PolicyError."""
        if not isinstance(table, Mapping):
            raise PolicyError("[guard.bulk] must be a table of seconds = lines per second")
        horizons = []
        for key, value in table.items():
            try:
                seconds = float(key)
            except (TypeError, ValueError):
                raise PolicyError(
                    f"[guard.bulk] has unknown settings: {key} (expected seconds = lines "
                    "per second, e.g. 60 = 12)"
                ) from None
            if not seconds > 0 or seconds != seconds or seconds == float("inf"):
                raise PolicyError(f"[guard.bulk] horizon {key} must be a positive number")
            horizons.append(Horizon(seconds, _number(value, f"lines per second over {key} s")))
        return cls(tuple(sorted(horizons, key=lambda h: h.seconds)))


@dataclass(frozen=True)
class Policy:
    mode: str
    responses: Mapping[Category, Response]
    air_gap: AirGapAction
    allow_network: bool = False
    bulk: BulkLimits = field(default_factory=BulkLimits)
    media_roots: tuple[Path, ...] = DEFAULT_MEDIA_ROOTS
    poll_seconds: float = 1.0  # network, mounts and watch health (about 1 ms a round)

    @classmethod
    def for_mode(cls, mode: str) -> Policy:
        if mode == "review":
            return cls(mode, dict(_REVIEW), AirGapAction.REFUSE)
        if mode == "demo":
            return cls(mode, dict(_DEMO), AirGapAction.RECORD)
        raise PolicyError(f"unknown mode {mode!r} (expected one of {', '.join(MODES)})")

    @classmethod
    def from_dict(cls, mode: str, table: Mapping[str, Any]) -> Policy:
        """The defaults for `mode`, overridden by `table`. Keys may use - or _:
        `responses` ({category: response}), `air-gap`, `allow-network`, `bulk`
        ({horizon seconds: lines per second}), `media-roots`, `poll-seconds`.
        Raises PolicyError for anything unknown or malformed."""
        policy = cls.for_mode(mode)
        t = _keys(table, {"responses", "air_gap", "allow_network", "bulk", "media_roots",
                          "poll_seconds"}, "guard")  # fmt: skip
        changes: dict[str, Any] = {}
        if "responses" in t:
            changes["responses"] = {**policy.responses, **_responses(t["responses"])}
        if "air_gap" in t:
            changes["air_gap"] = _enum(AirGapAction, t["air_gap"], "air-gap")
        if "allow_network" in t:
            changes["allow_network"] = _bool(t["allow_network"], "allow-network")
        if "bulk" in t:
            changes["bulk"] = BulkLimits.from_table(t["bulk"])
        if "media_roots" in t:
            roots = t["media_roots"]
            if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
                raise PolicyError("media-roots must be a list of paths")
            changes["media_roots"] = tuple(Path(r) for r in roots)
        if "poll_seconds" in t:
            changes["poll_seconds"] = _number(t["poll_seconds"], "poll-seconds")
        return replace(policy, **changes)

    def response(self, category: Category) -> Response:
        return self.responses.get(category, Response.RECORD)

    @property
    def start_action(self) -> AirGapAction:
        """What to do at start if the air-gap check fails: `--allow-network` turns a
        refusal into a recorded exception."""
        return AirGapAction.RECORD if self.allow_network else self.air_gap


def strongest(responses: list[Response]) -> Response | None:
    """The most severe response among `responses` (what the UI should act on)."""
    return max(responses, key=lambda r: r.rank, default=None)


def _keys(table: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise PolicyError(f"[{where}] must be a table")
    out = {str(k).replace("-", "_"): v for k, v in table.items()}
    unknown = sorted(set(out) - allowed)
    if unknown:
        raise PolicyError(f"[{where}] has unknown settings: {', '.join(unknown)}")
    return out


def _responses(table: Any) -> dict[Category, Response]:
    if not isinstance(table, Mapping):
        raise PolicyError("responses must be a table of category = response")
    return {
        _enum(Category, k, "alert category"): _enum(Response, v, f"response for {k}")
        for k, v in table.items()
    }


def _enum(kind: type[StrEnum], value: Any, what: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(m.value for m in kind)  # type: ignore[attr-defined]
        raise PolicyError(f"unknown {what} {value!r} (expected one of {names})") from None


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{what} must be true or false")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise PolicyError(f"{what.replace('_', '-')} must be a positive number")
    return float(value)
