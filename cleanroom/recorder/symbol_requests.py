"""The symbol requests (docs/protocol.md §5b): a file's outline, a name's
definitions, the names that complete what was typed. A mixin of `Dispatcher`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..session.local_service import LocalService
from ..session.service import FileFacts
from ..snapshot.symbols.query import SymbolsUnavailable
from . import messages as m


class SymbolRequests:
    service: LocalService

    if TYPE_CHECKING:  # provided by another mixin of Dispatcher; no stub at run time

        def _the_opened(self, path: bytes, blob: str) -> FileFacts: ...  # FileRequests'

    def _outline(self, r: m.Outline) -> m._Answer:
        opened = self._the_opened(r.path, r.blob)
        try:
            found = self.service.outline(opened, r.offset)
        except SymbolsUnavailable as exc:
            return m.NoSymbols(why=str(exc))
        return m.SymbolList(rows=[_symbol_info(s) for s in found.rows], total=found.total)

    def _definitions(self, r: m.Definitions) -> m._Answer:
        try:
            found = self.service.definitions(r.name)
        except SymbolsUnavailable as exc:
            return m.NoSymbols(why=str(exc))
        return m.SymbolList(rows=[_symbol_info(s) for s in found.rows], total=found.total)

    def _symbol_names(self, r: m.SymbolNames) -> m._Answer:
        try:
            return m.SymbolNameList(names=self.service.symbol_names(r.query))
        except SymbolsUnavailable as exc:
            return m.NoSymbols(why=str(exc))


def _symbol_info(s: Any) -> m.SymbolInfo:
    return m.SymbolInfo(s.path, s.display, s.line, s.name, s.kind)
