"""A --cast file made while replay runs is refused, not replaced, without --force
(outside attack atk14, session 13).

Replay checked that the --cast file did not exist before it verified the ledger,
ran the searches again and drew every frame, then renamed its output over the
path: a file that appeared meanwhile (a second replay into the same name, a
colleague's export, a link) was replaced without --force, exit 0. Here another
process's file appears at the moment replay starts drawing frames (a profile
hook in the real, isolated `cleanroom replay` process, which does nothing else);
replay must exit 2 and leave that file as it was."""

from __future__ import annotations

import subprocess
import sys

from tests.test_replay import BIN, run_replay
from tests.test_replay_responders import recorded  # noqa: F401 (the module's fixture)

DRIVER = """
import sys
out = sys.argv.pop(1)
made = []
def hook(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "write_cast" and not made:
        made.append(out)
        with open(out, "x") as f:  # someone else's file, made while replay runs
            f.write("theirs\\n")
sys.setprofile(hook)
from cleanroom.cli import main
sys.argv[0] = "cleanroom"
main()
"""


def test_a_cast_file_made_while_replay_runs_is_not_replaced(recorded, tmp_path):  # noqa: F811
    run_replay(recorded, tmp_path, "--help")  # writes the trust key file
    out = tmp_path / "session.cast"
    argv = [f"{BIN}/python", "-I", "-c", DRIVER, str(out), "replay", str(recorded.ledger),
            "--snapshot", str(recorded.snapshot), "--cast", str(out),
            "--trust", str(tmp_path / "vendor.pub")]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert out.read_text() == "theirs\n", done.stderr  # another's file, kept
    assert done.returncode == 2, done.stderr
    assert "--force" in done.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".session")] == []


def test_with_force_the_file_made_meanwhile_is_replaced(recorded, tmp_path):  # noqa: F811
    run_replay(recorded, tmp_path, "--help")
    out = tmp_path / "session.cast"
    argv = [f"{BIN}/python", "-I", "-c", DRIVER, str(out), "replay", str(recorded.ledger),
            "--snapshot", str(recorded.snapshot), "--cast", str(out), "--force",
            "--trust", str(tmp_path / "vendor.pub")]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith('{"version": 2')


assert sys.version_info >= (3, 11)


def test_a_cast_into_a_missing_directory_is_refused_before_verifying(recorded, tmp_path):  # noqa: F811
    out = tmp_path / "no-such-dir" / "session.cast"
    done = run_replay(recorded, tmp_path, recorded.ledger, "--snapshot", recorded.snapshot,
                      "--cast", out)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "verifying" not in done.stderr  # said at once, not after minutes of work
    assert "no-such-dir" in done.stderr and ".session.cast." not in done.stderr
