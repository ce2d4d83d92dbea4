"""deploy.md and ADR 0203 are a contract: every check code has a row in
deploy.md, and the layout table in the ADR is exactly what check enforces."""

from __future__ import annotations

import re
from pathlib import Path

from cleanroom.workstation import layout
from cleanroom.workstation.check_files import expected, optional
from cleanroom.workstation.layout import Layout
from cleanroom.workstation.problems import CODES

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "docs" / "deploy.md"
ADR = ROOT / "docs" / "adr" / "0203-workstation-layout.md"


def test_every_check_code_has_a_row_in_deploy_md():
    rows = set(re.findall(r"^\| `([A-Z_]+)` \|", DEPLOY.read_text(encoding="utf-8"), re.MULTILINE))
    assert rows == set(CODES)


def test_the_adrs_layout_table_is_what_check_enforces():
    text = ADR.read_text(encoding="utf-8")
    table = {
        path: (owner, int(mode, 8))
        for path, owner, mode in re.findall(
            r"^\| `(/[^`]+)` \| ([a-z:-]+) \| ([0-7]{4}) \|", text, re.MULTILINE
        )
    }
    enforced = {e.path: (f"{e.owner}:{e.group}", e.mode)
                for e in expected(Layout()) + optional(Layout())}  # fmt: skip
    enforced[layout.SOCKET] = (f"{layout.SERVICE}:{layout.GROUP}", 0o660)  # check_socket
    assert table == enforced
