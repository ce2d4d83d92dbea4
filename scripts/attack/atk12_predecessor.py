"""atk12: a terminal that pipelines requests and closes, while the next one connects
at once (the accept path's MSG_PEEK look at a closed predecessor)."""

import socket
import time

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.recorder.framing import read_frame, write_frame
from tests.recorderproc import build_room

room = build_room()
room.start()
try:
    for frames in (0, 1, 2, 5):
        a = socket.socket(socket.AF_UNIX)
        a.connect(str(room.socket))
        write_frame(a, m.encoder.encode(m.Hello(version=m.VERSION, client="atk")))
        read_frame(a, m.MAX_ANSWER)
        for _ in range(frames):
            write_frame(a, m.encoder.encode(m.Status()))
        a.close()
        tries, since = 0, time.monotonic()
        while True:
            tries += 1
            try:
                s = RemoteService(room.socket)
                break
            except Exception as exc:  # noqa: BLE001 (printed: what the terminal sees)
                print(f"{frames} frames: try {tries}: {type(exc).__name__}: {exc}")
                time.sleep(0.05)
        print(f"{frames} frames: admitted after {tries} tries, {time.monotonic() - since:.2f} s")
        s.seal()
        s.close()
        time.sleep(0.3)
    print(len(room.ledgers()), "ledgers")
finally:
    room.stop()
