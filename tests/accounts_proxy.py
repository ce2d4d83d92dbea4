"""A logging proxy between the reviewer's terminal and the recorder, run as the
reviewer's account (so the recorder's SO_PEERCRED check sees the reviewer):
`python -I accounts_proxy.py LISTEN UPSTREAM LOG`. It forwards each request frame
and its answer unchanged, and appends both to LOG (a kind byte, Q or A, then the
frame as it went over the wire). It runs until it is killed."""

from __future__ import annotations

import socket
import sys

from cleanroom.recorder import messages as m
from cleanroom.recorder.framing import FrameError, read_frame, write_frame


def main(listen: str, upstream: str, log_path: str) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(listen)
    listener.listen(1)
    with open(log_path, "ab", buffering=0) as log:
        while True:
            terminal, _ = listener.accept()
            recorder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            recorder.connect(upstream)
            try:
                while True:
                    request = read_frame(terminal, m.MAX_REQUEST)
                    write_frame(recorder, request)
                    answer = read_frame(recorder, m.MAX_ANSWER)
                    for kind, body in ((b"Q", request), (b"A", answer)):
                        log.write(kind + len(body).to_bytes(4, "big") + body)
                    write_frame(terminal, answer)
            except (FrameError, OSError):
                terminal.close()
                recorder.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
