"""Headless Chromium driven over the DevTools protocol on a pipe (no extra library).

`Browser` starts Debian's `chromium` with `--remote-debugging-pipe` (JSON messages,
NUL-terminated, on file descriptors 3 and 4), in a new network namespace when
`unshare` may make one (root), and with every proxy and host lookup pointed at
nothing besides: a page that tries to reach the network fails, and the request is
still seen here. `Page` opens a file at a width, records every request, console
message, log entry and uncaught exception, evaluates expressions and takes
screenshots.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_NETWORK = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]


class Browser:
    def __init__(self, timeout: float = 60.0) -> None:
        if CHROMIUM is None:
            raise RuntimeError("chromium is not installed (scripts/system-packages.sh installs it)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="cleanroom-chromium-")
        r_to_chrome, self._w = os.pipe()
        self._r, w_from_chrome = os.pipe()
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
                "--remote-debugging-pipe", f"--user-data-dir={self.profile}", *NO_NETWORK,
                "about:blank"]  # fmt: skip
        self.isolated = os.geteuid() == 0 and shutil.which("unshare") is not None
        if self.isolated:
            args = ["unshare", "--net", "--", *args]

        def fds() -> None:
            # Out of the way first, so that neither lands on the other's target.
            a, b = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (r_to_chrome, w_from_chrome))
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(  # noqa: S603 (a fixed program, our own arguments)
            args, preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)  # fmt: skip
        os.close(r_to_chrome)
        os.close(w_from_chrome)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        want = self._id
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == want:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str | None = None) -> dict[str, Any]:
        """The first event `method` (of `session`) seen, waiting for it if need be."""
        deadline = time.monotonic() + self.timeout
        i = 0
        while True:
            while i < len(self.events):
                e = self.events[i]
                i += 1
                if e.get("method") == method and (session is None or e.get("sessionId") == session):
                    self.events.remove(e)
                    return e
            self.events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def page(self, width: int, height: int = 900) -> Page:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        return Page(self, session, width, height)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, session: str, width: int, height: int) -> None:
        self.b, self.s = browser, session
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.b.send(method, self.s, **params)

    def open(self, path: Path) -> float:
        """Load `path` and wait for its load event; the seconds it took."""
        t0 = time.perf_counter()
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.b.wait_for("Page.loadEventFired", self.s)
        return time.perf_counter() - t0

    def eval(self, expression: str) -> Any:
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:60]}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path: Path, full: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full:
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def _events(self, method: str) -> list[dict[str, Any]]:
        self.eval("1")  # flush: every event sent before this answer is now read
        return [e["params"] for e in self.b.events
                if e.get("method") == method and e.get("sessionId") == self.s]  # fmt: skip

    def requests(self) -> list[str]:
        return [p["request"]["url"] for p in self._events("Network.requestWillBeSent")]

    def problems(self) -> list[str]:
        """Console errors and warnings, log errors (CSP violations among them) and
        uncaught exceptions, as text."""
        out = [
            f"console.{p['type']}: {p.get('args')}"
            for p in self._events("Runtime.consoleAPICalled")
            if p["type"] in ("error", "warning", "assert")
        ]
        out += [
            f"log {p['entry']['level']}: {p['entry'].get('text')}"
            for p in self._events("Log.entryAdded")
            if p["entry"]["level"] in ("error", "warning")
        ]
        thrown = self._events("Runtime.exceptionThrown")
        out += [f"exception: {p['exceptionDetails']}" for p in thrown]
        return out
