"""--with-source keeps the page bounded: long lines are cut and the source of all
files together has a byte bound (outside attack atk14, session 13).

Every other growing section of the HTML report has a bound in bytes (29 MB in
all); the source beside the strips had only 2,000 rows per file, each written
whole. One minified line of 10 MB, viewed once, put 10 MB in the page, and the
hottest 200 files of 2,000 long lines each would make it gigabytes. Real
snapshot, real ledger (the real writer and keys), the real `cleanroom report`."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.forensics import html_budget, report_source
from cleanroom.forensics.source_text import SourceText
from cleanroom.ledger.events import SnapshotRef
from cleanroom.ledger.writer import Ledger
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import trust_file
from tests.ledgerkit import Kit

LONG_LINE = 3_000_000  # one line of a minified file
WIDE = 1_000  # characters of each line of the wide files
WIDE_FILES = 10  # of 2,000 lines each: 20 MB of source in all


def _site(root: Path) -> tuple[Path, Path, Path]:
    kit = Kit("atk14-source")
    src = root / "src-tree"
    files = {b"min.js": b"a" * LONG_LINE + b"\n"}
    for i in range(WIDE_FILES):
        files[b"wide%d.c" % i] = b"".join(
            (b"%d " % k).ljust(WIDE, b"x") + b"\n" for k in range(report_source.MAX_LINES)
        )
    for path, data in files.items():
        full = os.path.join(os.fsencode(src), path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    snap = root / "s.snapshot"
    create_snapshot(src, snap, kit.vendor, "wide", "1", created=1_790_000_000)
    ledgers = root / "ledgers"
    ledgers.mkdir()
    with Snapshot.open(snap, kit.trust) as s:
        ref = SnapshotRef(s.id, s.manifest.root)
        blobs = {p: s.stat(p).blob.hex() for p in files}
    ledger = Ledger.create(ledgers, kit.workstation, kit.reviewer_ref(), ref, None,
                           clock=kit.clock, keygen=kit.keys,
                           ledger_id=hashlib.sha256(b"atk14-source").digest()[:16])  # fmt: skip
    for p, blob in blobs.items():
        n = files[p].count(b"\n")
        ledger.append(FileOpen(p, blob, len(files[p]), n, {}))
        ledger.append(View(p, blob, 1, n, 0, 200, wrap=n))  # every line, wrapped
    ledger.seal("reviewer", kit.reviewer)
    ledger.close()
    return snap, ledgers, trust_file(kit, root)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("atk14-source")
    snap, ledgers, trust = _site(root)
    out = root / "report.html"
    args = ["report", str(ledgers), "--snapshot", str(snap), "--trust", str(trust), "-o",
            str(out), "--with-source"]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.read_text("utf-8")


def test_a_long_line_is_cut_with_a_mark(page):
    assert "a" * report_source.LINE_CHARS in page  # its start is shown
    assert "a" * (report_source.LINE_CHARS + 1) not in page  # not 3,000,000 characters of it
    assert "more characters of this line not shown" in page


def test_the_source_of_all_files_has_a_bound(page):
    tables = [t.split("</table>")[0] for t in page.split('<table class="source">')[1:]]
    source = sum(len(t.encode()) for t in tables)
    assert source <= html_budget.SOURCE_BYTES + 200_000, source
    assert len(page.encode()) <= html_budget.PAGE_BYTES + html_budget.SOURCE_BYTES
    assert "source not included here (the page's bound" in page


def test_the_source_of_a_file_of_many_lines_costs_about_its_size(tmp_path):
    """SourceText held a checked content as one bytes object per line: a 3 MB file
    of a million short lines took 115 MB of the report's memory (a snapshot file of
    hundreds of MB, gigabytes). Now the content and its line starts only."""
    kit = Kit("atk14-source-mem")
    src = tmp_path / "src-tree"
    src.mkdir()
    data = b"x;\n" * 1_000_000
    (src / "big.c").write_bytes(data)
    snap = tmp_path / "s.snapshot"
    create_snapshot(src, snap, kit.vendor, "big", "1", created=1_790_000_000)
    with Snapshot.open(snap, kit.trust) as s:
        blob = s.stat(b"big.c").blob.hex()
        text = SourceText([s])
        tracemalloc.start()
        try:
            lines = text.lines(blob, b"big.c")
            _, peak = tracemalloc.get_traced_memory()
            held = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert not isinstance(lines, str)
        assert len(lines) == 1_000_000 and lines[0] == b"x;" and lines[-1] == b"x;"
        assert lines[999_999] == b"x;" and lines[1:3] == [b"x;", b"x;"]
    assert held < 4 * len(data), (held, peak)  # the content and its starts, not 1M objects
