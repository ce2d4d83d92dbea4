"""`Refusal`: what a request handler raises to have its request refused, and
recorded as refused, by `Dispatcher.handle` (reason and detail as docs/protocol.md
§7 names them)."""

from __future__ import annotations


class Refusal(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail
