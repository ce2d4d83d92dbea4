"""Cleanroom: a recorded, read-only source review workstation."""

__version__ = "0.1.0"
