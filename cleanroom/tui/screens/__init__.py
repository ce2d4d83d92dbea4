"""Screens and dialogs of the reviewer terminal, one per module."""
