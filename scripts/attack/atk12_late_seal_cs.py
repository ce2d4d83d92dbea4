import os
import signal
import subprocess
import sys
import time

from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.recorder.client import RemoteService
from tests.ledgerkit import seeded_key
from tests.recorderproc import build_room
from tests.test_recorder_stopped_long import stopped

REVIEWER = seeded_key("rec/reviewer")
room = build_room()
keys = room.base / "keys"
write_public_key(keys / "reviewer.pub", REVIEWER.public_key(), role=Role.REVIEWER)
room.config.write_text(room.config.read_text() + f'reviewer_public_key = "{keys}/reviewer.pub"\n')
room.start()
MODE = sys.argv[1]
try:
    s = RemoteService(room.socket, REVIEWER)
    s.serve_loop()
    if MODE == "before":
        os.kill(room.process.pid, signal.SIGSTOP)
        stopped(room.process.pid)
        t = time.monotonic()
        try:
            print("seal", s.seal())
        except Exception as e:
            print("seal raised", type(e).__name__, e, round(time.monotonic() - t, 2))
        os.kill(room.process.pid, signal.SIGCONT)
    time.sleep(0.5)
    for _i in range(3):
        print("retry", s.retry(), s.failure)
        try:
            r = s.seal()
            print("seal2", r, s.countersigned)
            break
        except Exception as e:
            print("seal2 raised", type(e).__name__, e)
        time.sleep(1)
    try:
        s.close()
    except Exception as e:
        print("close", e)
    time.sleep(1)
    print(room.kinds())
    v = subprocess.run(
        [
            ".venv/bin/cleanroom",
            "verify",
            "--trust",
            str(room.base / "keys/vendor.pub"),
            "--reviewer-key",
            str(keys / "reviewer.pub"),
            str(room.ledgers()[-1]),
        ],
        capture_output=True,
        text=True,
    )
    print(v.returncode, v.stdout[:300], v.stderr[-500:])
finally:
    room.stop()
    print(room.log()[-1500:])
