"""`cleanroom workstation check`: every problem found, each once, in a fixed order
(accounts, files, socket, config, host), minus the codes the operator chose to ignore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..guard.network import NetworkState, read_network
from .check_accounts import check_accounts
from .check_config import check_config
from .check_files import check_files, templates_for
from .check_host import check_clock, check_network, check_sysctls
from .check_socket import check_socket
from .layout import Layout
from .plan import values
from .problems import Problem

FORMAT = "cleanroom-workstation-check/1"


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    ignored: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check(
    lay: Layout,
    python: str,
    ignore: Iterable[str] = (),
    network: Callable[[], NetworkState] = read_network,
) -> Report:
    found = check_accounts(lay)
    found += check_files(lay, templates_for(lay, values(lay, python)))
    found += check_socket(lay)
    found += check_config(lay)
    found += check_network(network)
    found += check_sysctls()
    found += check_clock(lay)
    skip = set(ignore)
    return Report(
        tuple(p for p in found if p.code not in skip),
        tuple(p for p in found if p.code in skip),
    )
