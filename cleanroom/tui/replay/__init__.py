"""Replay: the responder's view of a verified ledger, drawn as the reviewer saw it."""
