"""The `notes` group with all its commands: `release` lives in its own module."""

from __future__ import annotations

from . import notes_release as _release  # noqa: F401  (registers `notes release`)
from .notes import notes

__all__ = ["notes"]
