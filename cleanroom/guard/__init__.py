"""The guard: watch the workstation during a session and report what happens around it.

A signed ledger proves what Cleanroom showed. The guard notices what happens
beside it while the session runs: another process opening the snapshot, the
keys or the ledger; removable media; the network; reading at a scraping pace.
Each finding is an `Alert` (cleanroom.session.events) with the response its
policy names. The UI records each alert in the ledger and acts on it; the guard
itself never touches the screen or the ledger. No textual or rich here.

Modules, one concept each:

- `policy`: alert categories, responses, defaults for review and demo.
- `places`: where the session's files are.
- `classify`: what one filesystem event means (pure).
- `own_writes`: telling Cleanroom's own ledger writes from anyone else's.
- `watch`: the watchdog (inotify) observers.
- `alert_queue`: bounded, coalescing, counted hand-over to the UI.
- `mounts`, `network`: the periodic checks (pure parsers plus readers).
- `namespace`: is this the host's network namespace (the air-gap check asks the host).
- `netlink`: the kernel's link and route changes, as they happen, between polls.
- `bulk`: the bulk-capture detector (pure).
- `guard`: `Guard`, which ties these together. Its docstring gives the call order.

docs/guard.md describes the method and its limits.
"""

from .guard import Guard
from .network import NetworkState, StartCheck, read_network, start_check
from .places import Places
from .policy import Category, Policy, PolicyError, Response, strongest

__all__ = [
    "Category",
    "Guard",
    "NetworkState",
    "Places",
    "Policy",
    "PolicyError",
    "Response",
    "StartCheck",
    "read_network",
    "start_check",
    "strongest",
]
