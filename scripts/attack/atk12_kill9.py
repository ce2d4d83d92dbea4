import subprocess
import time

from cleanroom.recorder.client import RemoteService
from tests.recorderproc import build_room

room = build_room()
room.start()
try:
    s = RemoteService(room.socket)
    o = s.open_file(b"src/long.py")
    s.view(o, 1, 30, 0, 80) if True else None
    room.kill9()
    for _i in range(3):
        try:
            print("view after kill", s.view(o, 31, 60, 0, 80) is not None, s.failure)
        except Exception as e:
            print("view after kill:", type(e).__name__, e)
    room.start()
    while room.log().count("listening") < 2:
        time.sleep(0.2)
    for _i in range(4):
        try:
            r = s.view(o, 31, 60, 0, 80)
            print(
                "view after restart",
                r is not None,
                s.failure,
                s.session_id,
                "replaced",
                s.replaced is not None,
            )
        except Exception as e:
            print("view after restart:", type(e).__name__, e, "replaced", s.replaced is not None)
        time.sleep(0.5)
    if s.replaced is not None:
        print("new session", s.replaced.session_id)
        s.new_session_shown()
    try:
        print("seal", s.seal())
    except Exception as e:
        print("seal:", type(e).__name__, e)
    s.close()
    time.sleep(1)
    for led in room.ledgers():
        v = subprocess.run(
            [
                ".venv/bin/cleanroom",
                "verify",
                "--trust",
                str(room.base / "keys/vendor.pub"),
                str(led),
            ],
            capture_output=True,
            text=True,
        )
        print(led.name, v.returncode, room.kinds(led), v.stdout.splitlines()[0][-30:])
finally:
    room.stop()
    print(room.log()[-1500:])
