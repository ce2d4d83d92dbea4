import socket
import sys
import time

from cleanroom.recorder.client import RemoteService
from tests.recorderproc import build_room

MODE = sys.argv[1]
room = build_room(on_client_lost=sys.argv[2] if len(sys.argv) > 2 else "seal")
room.start()
try:
    if MODE == "silent":
        a = socket.socket(socket.AF_UNIX)
        a.connect(str(room.socket))
        time.sleep(8)
        try:
            s = RemoteService(room.socket)
            print("terminal admitted", s.session_id)
        except Exception as e:
            print("terminal refused:", type(e).__name__, e)
        a.close()
        time.sleep(0.5)
        try:
            s = RemoteService(room.socket)
            print("terminal admitted after close", s.session_id)
        except Exception as e:
            print("terminal refused after close:", type(e).__name__, e)
    elif MODE == "loop":
        t = time.monotonic()
        n = 0
        while time.monotonic() - t < 10:
            a = socket.socket(socket.AF_UNIX)
            a.connect(str(room.socket))
            a.close()
            n += 1
        time.sleep(1)
        print("connects", n, "ledgers", len(room.ledgers()))
        t = time.monotonic()
        try:
            s = RemoteService(room.socket)
            print("terminal admitted", round(time.monotonic() - t, 2))
        except Exception as e:
            print("terminal refused:", type(e).__name__, e)
    elif MODE == "half":
        a = socket.socket(socket.AF_UNIX)
        a.connect(str(room.socket))
        a.send(b"\x00\x00")
        time.sleep(7)
        try:
            s = RemoteService(room.socket)
            print("terminal admitted", s.session_id)
        except Exception as e:
            print("terminal refused:", type(e).__name__, e)
finally:
    room.stop()
    print(room.log()[-1200:])
    print([room.kinds(led) for led in room.ledgers()][:3], len(room.ledgers()))
