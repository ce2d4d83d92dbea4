"""`cleanroom snapshot create` on a disk that fills up: the kernel refuses the
write (RLIMIT_FSIZE, EFBIG, as a full disk would), and the command says it could
not write the file, exits 1, and leaves no file behind: no traceback (attack on
issue 12, finding 9: a sqlite3.OperationalError traceback)."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

from cleanroom.ledger.keys import Role, write_private_key
from tests.ledgerkit import seeded_key

BIN = Path(sys.executable).parent


def limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of dying
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, hard))


def test_a_full_disk_is_said_in_words_and_leaves_no_file(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(40):
        (src / f"f{i:02d}.c").write_bytes(b"int x_%d = %d;\n" % (i, i) * 2000)
    key = tmp_path / "vendor.key"
    write_private_key(key, seeded_key("full-disk/vendor"), role=Role.VENDOR_ROOT)
    out = tmp_path / "out" / "s.snapshot"
    out.parent.mkdir()
    done = subprocess.run(
        [f"{BIN}/cleanroom", "snapshot", "create", str(src), "-o", str(out),
         "--vendor-key", str(key), "--no-symbols", "-q"],
        capture_output=True, text=True, timeout=120, preexec_fn=limited,
    )  # fmt: skip
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "cannot write" in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert list(out.parent.iterdir()) == []
