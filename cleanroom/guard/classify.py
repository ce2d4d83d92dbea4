"""Decide what one filesystem event means for the session. Pure: no I/O.

The watcher hands over each event as (event type, path, is it a directory);
`classify` returns a `Sighting` saying which alert category it belongs to and
under which subject it coalesces, or None when it means nothing.

Telling Cleanroom's own accesses apart rests on one fact: Cleanroom opens the
snapshot and the live ledger once, before the guard starts, and keeps those
descriptors for the whole session. So every *open* of the snapshot, a key or a
ledger seen while the guard runs is another process's. Writes are different:
Cleanroom writes the live ledger and its `-wal` all the time, and inotify does
not say who wrote. A write to those two files is therefore not an alert by
itself: the stat chain in `own_writes` decides, by comparing the files with
the state Cleanroom's own last commit left them in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

from .places import SIDECARS, Places, is_evidence, under
from .policy import Category


class Action(StrEnum):
    OPENED = "opened"
    MODIFIED = "modified"
    ATTRIB = "attributes changed"
    CREATED = "created"
    DELETED = "deleted"
    MOVED = "moved"
    MOUNTED = "mounted"
    UNMOUNTED = "unmounted"


# watchdog event types; closes are ignored: the open or the write already counted.
_ACTIONS = {
    "opened": Action.OPENED,
    "modified": Action.MODIFIED,
    "attrib": Action.ATTRIB,
    "created": Action.CREATED,
    "deleted": Action.DELETED,
    "moved": Action.MOVED,
}
_CHANGES = {Action.MODIFIED, Action.ATTRIB, Action.CREATED, Action.DELETED, Action.MOVED}
_LIVE_WRITES = {"modified", "attrib", "closed"}


@dataclass(frozen=True)
class Sighting:
    category: Category
    subject: str  # what the alert is about; alerts coalesce per (category, subject)
    action: Action | None
    path: str


def classify(event_type: str, path: str, is_directory: bool, places: Places) -> Sighting | None:
    """What the event `event_type` on `path` means. Checked in order: the snapshot,
    the key files, the ledger directory, the keys directories, the media roots."""
    action = _ACTIONS.get(event_type)
    if places.is_snapshot(path):
        if action is None:
            return None
        return Sighting(Category.SNAPSHOT_ACCESS, f"snapshot {places.snapshot}", action, path)
    if path == places.snapshot_dir and action is Action.DELETED:
        return _lost("snapshot directory", path)
    if path in places.key_files:  # before the ledger: a key may sit beside the ledgers
        if action is None:
            return None
        return Sighting(Category.KEYS_ACCESS, f"key {path}", action, path)
    if path in places.key_file_dirs and action is Action.DELETED:
        return _lost("key file directory", path)
    if path == places.ledger_dir or os.path.dirname(path) == places.ledger_dir:
        return _ledger(event_type, action, path, is_directory, places)
    for keys in places.keys:
        if under(path, keys):
            if path == keys and action is Action.DELETED:
                return _lost("keys directory", path)
            if action is None:
                return None
            return Sighting(Category.KEYS_ACCESS, f"keys {keys}", action, path)
    for media in places.media:
        if under(path, media):
            if path == media and action is Action.DELETED:
                return _lost("media root", path)
            if action is Action.OPENED or action is Action.ATTRIB or action is None:
                return None  # reading a medium is harmless; writing to one is not
            return Sighting(Category.MEDIA, f"media {media}", action, path)
    return None


def _ledger(
    event_type: str, action: Action | None, path: str, is_directory: bool, places: Places
) -> Sighting | None:
    directory = places.ledger_dir
    if path == directory:
        if action is Action.DELETED:
            return _lost("ledger directory", path)
        if action is None or action is Action.OPENED:
            return None
        return Sighting(Category.LEDGER_COPY, f"ledger directory {directory}", action, path)
    live = places.ledger
    if path in places.live_ledger_files:
        if event_type in _LIVE_WRITES:
            return None  # Cleanroom's own writes look the same: the stat chain decides
        if action is Action.OPENED:
            return Sighting(Category.LEDGER_COPY, f"ledger {live}", action, path)
        if action is None:
            return None
        return Sighting(Category.LEDGER_TAMPER, f"ledger {live}", action, path)
    if any(path == live + s for s in SIDECARS):  # another SQLite opened the live ledger
        if action is None:
            return None
        return Sighting(Category.LEDGER_COPY, f"ledger {live}", action, path)
    if not is_directory and is_evidence(os.path.basename(path)):
        if action is Action.OPENED:
            return Sighting(Category.LEDGER_COPY, f"ledger {path}", action, path)
        if action is Action.CREATED:  # a new ledger-like file: a copy, not a change
            return Sighting(Category.LEDGER_COPY, f"ledger directory {directory}", action, path)
        if action in _CHANGES:
            return Sighting(Category.LEDGER_TAMPER, f"ledger {path}", action, path)
        return None
    if action is Action.CREATED or action is Action.MOVED:
        return Sighting(Category.LEDGER_COPY, f"ledger directory {directory}", action, path)
    return None


def _lost(what: str, path: str) -> Sighting:
    return Sighting(Category.GUARD_FAILURE, f"{what} {path}", Action.DELETED, path)
