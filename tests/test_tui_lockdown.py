"""Each way out of the reviewer UI is closed, and each attempt is reported."""

import subprocess
import sys
import textwrap

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, Static

from cleanroom.tui.actions import ALLOWED, REVIEW_ACTIONS
from cleanroom.tui.lockdown import LockedApp


class Probe(LockedApp):
    """A locked app that remembers what it refused, with one markup-bearing widget
    standing in for a regression where untrusted text reached a markup API."""

    def __init__(self):
        super().__init__()
        self.refused: list[str] = []

    def on_blocked(self, action, detail=""):
        self.refused.append(action)

    def compose(self):
        yield Static("[@click=app.screenshot()]CLICK ME[/]", id="evil")  # markup on purpose
        yield Input(id="box")


async def test_command_palette_is_unreachable():
    app = Probe()
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert not CommandPalette.is_open(app)
        assert list(app.get_system_commands(app.screen)) == []


async def test_copy_keys_reach_no_clipboard_and_are_recorded():
    app = Probe()
    async with app.run_test() as pilot:
        app.query_one("#box", Input).value = "secret source"
        app.query_one("#box", Input).focus()
        for key in ("ctrl+c", "super+c", "ctrl+x", "ctrl+shift+a", "ctrl+v"):
            await pilot.press(key)
        await pilot.pause()
        app.copy_to_clipboard("direct call")
        assert app.clipboard == ""
        assert {"copy", "cut", "select_all", "paste"} <= set(app.refused)


async def test_a_markup_click_action_is_refused():
    app = Probe()
    async with app.run_test() as pilot:
        await pilot.click("#evil")
        await pilot.pause()
        assert "screenshot" in app.refused


@pytest.mark.parametrize(
    "action",
    ["app.screenshot()", "app.suspend_process", "app.simulate_key('q')", "app.bell",
     "app.command_palette", "app.toggle_dark", "screen.copy_text", "app.quit"],
)  # fmt: skip
async def test_actions_outside_the_registry_never_run(action):
    app = Probe()
    async with app.run_test():
        assert await app.run_action(action) is False
        assert app.refused


async def test_direct_calls_to_exfiltration_methods_fail_closed():
    app = Probe()
    async with app.run_test():
        app.open_url("https://example.invalid")
        for method in (app.save_screenshot, app.deliver_screenshot, app.deliver_text,
                       app.deliver_binary, app.export_screenshot):  # fmt: skip
            with pytest.raises(PermissionError):
                method("x")
        app.action_suspend_process()
        assert {"open_url", "screenshot", "deliver", "suspend"} <= set(app.refused)


def test_selection_is_off_and_the_registry_feeds_the_allowlist():
    assert LockedApp.ALLOW_SELECT is False and LockedApp.ENABLE_COMMAND_PALETTE is False
    assert {a.name for a in REVIEW_ACTIONS} <= ALLOWED
    assert not {"copy", "copy_text", "paste", "screenshot", "suspend_process"} & ALLOWED


def test_textual_dev_is_not_installed():
    assert "textual_dev" not in sys.modules
    out = subprocess.run([sys.executable, "-c", "import textual_dev"], capture_output=True)
    assert out.returncode != 0


def run_child(code: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(  # -I: the reviewer terminal runs only in an isolated Python
        [sys.executable, "-I", "-c", textwrap.dedent(code)], capture_output=True, text=True,
        timeout=60, env=env,
    )  # fmt: skip


def test_textual_variables_are_scrubbed_before_textual_reads_them(tmp_path):
    hostile = {
        "TEXTUAL_SCREENSHOT": "1", "TEXTUAL_LOG": str(tmp_path / "log"),
        "TEXTUAL_DRIVER": "os:system", "TEXTUAL_PRESS": "q", "TEXTUAL": "devtools,debug",
    }  # fmt: skip
    out = run_child(
        f"""
        from pathlib import Path
        from cleanroom.tui.launch import prepare
        removed = prepare([Path({str(tmp_path)!r})])
        import textual.constants as c
        print(removed)
        assert c.SCREENSHOT_DELAY == -1 and c.LOG_FILE is None and c.DRIVER is None
        assert c.PRESS == "" and not c.DEBUG
        """,
        hostile,
    )
    assert out.returncode == 0, out.stderr
    assert all(k in out.stdout for k in hostile)


def test_a_size_in_the_environment_is_scrubbed(tmp_path):
    """COLUMNS/LINES pinned the app's size: resized from 500x200 to 120x36, it
    kept drawing and recording 195-line views (attack review, round 2)."""
    out = run_child(
        f"""
        import os
        from pathlib import Path
        from cleanroom.tui.launch import prepare
        removed = prepare([Path({str(tmp_path)!r})])
        from rich.console import Console
        assert "COLUMNS" not in os.environ and "LINES" not in os.environ
        assert tuple(Console().size) != (500, 200), Console().size
        print(removed)
        """,
        {"COLUMNS": "500", "LINES": "200"},
    )
    assert out.returncode == 0, out.stderr
    assert "COLUMNS" in out.stdout and "LINES" in out.stdout


def test_prepare_refuses_when_textual_was_imported_first(tmp_path):
    out = run_child(
        f"""
        import textual.app
        from pathlib import Path
        from cleanroom.tui.launch import prepare, UnsafeStart
        try:
            prepare([Path({str(tmp_path)!r})])
        except UnsafeStart:
            print("refused")
        """
    )
    assert "refused" in out.stdout, out.stderr


def test_audit_policy_denies_network_processes_and_stray_writes(tmp_path):
    allowed = tmp_path / "ledgers"
    allowed.mkdir()
    out = run_child(
        f"""
        import socket, subprocess, os, webbrowser, sqlite3
        from pathlib import Path
        from cleanroom.tui.launch import prepare
        prepare([Path({str(allowed)!r})])
        results = {{}}
        def attempt(name, fn):
            try:
                fn()
                results[name] = "allowed"
            except PermissionError:
                results[name] = "denied"
        attempt("tcp", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1))
        attempt("subprocess", lambda: subprocess.run(["true"]))
        attempt("system", lambda: os.system("true"))
        webbrowser.register("probe", None, webbrowser.GenericBrowser("true"), preferred=True)
        attempt("browser", lambda: webbrowser.open("https://example.invalid"))
        attempt("write_outside", lambda: open({str(tmp_path / "leak.txt")!r}, "w"))
        attempt("sqlite_outside", lambda: sqlite3.connect({str(tmp_path / "x.db")!r}))
        attempt("write_inside", lambda: open({str(allowed / "ok.txt")!r}, "w").close())
        attempt("read_anywhere", lambda: open("/etc/hostname").close())
        a, b = socket.socketpair()  # asyncio's self-pipe must keep working
        print(results)
        """
    )
    assert out.returncode == 0, out.stderr
    results = eval(out.stdout.strip())
    assert results == {
        "tcp": "denied", "subprocess": "denied", "system": "denied", "browser": "denied",
        "write_outside": "denied", "sqlite_outside": "denied",
        "write_inside": "allowed", "read_anywhere": "allowed",
    }  # fmt: skip
    assert not (tmp_path / "leak.txt").exists()


def test_audit_policy_denies_links_and_metadata_changes_outside_the_ledgers(tmp_path):
    """A hard link or symlink made outside the ledgers' directory is a new name for
    a file (a way out through the file system), and a changed owner, time or
    extended attribute is a write: all refused outside it, allowed inside (atk14)."""
    allowed = tmp_path / "ledgers"
    allowed.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("x")
    inside = allowed / "inside.txt"
    inside.write_text("y")
    out = run_child(
        f"""
        import os
        from pathlib import Path
        from cleanroom.tui.launch import prepare
        prepare([Path({str(allowed)!r})])
        results = {{}}
        def attempt(name, fn):
            try:
                fn()
                results[name] = "allowed"
            except PermissionError:
                results[name] = "denied"
        attempt("link_out", lambda: os.link({str(inside)!r}, {str(tmp_path / "l1")!r}))
        attempt("symlink_out", lambda: os.symlink({str(inside)!r}, {str(tmp_path / "l2")!r}))
        attempt("utime_out", lambda: os.utime({str(victim)!r}, (0, 0)))
        attempt("chown_out", lambda: os.chown({str(victim)!r}, os.getuid(), os.getgid()))
        attempt("setxattr_out", lambda: os.setxattr({str(victim)!r}, "user.x", b"1"))
        attempt("link_in", lambda: os.link({str(inside)!r}, {str(allowed / "l3")!r}))
        attempt("utime_in", lambda: os.utime({str(inside)!r}, (0, 0)))
        print(results)
        """
    )
    assert out.returncode == 0, out.stderr
    results = eval(out.stdout.strip())
    assert results == {
        "link_out": "denied", "symlink_out": "denied", "utime_out": "denied",
        "chown_out": "denied", "setxattr_out": "denied",
        "link_in": "allowed", "utime_in": "allowed",
    }  # fmt: skip
    assert not (tmp_path / "l1").exists() and not (tmp_path / "l2").is_symlink()
    assert victim.stat().st_mtime > 0


def test_audit_policy_denies_native_calls_debuggers_and_python_variables(tmp_path):
    """ctypes, a debugger, a trace function, PYTHON* variables set at run time and
    keystrokes pushed into the terminal are refused once the policy is in; what the
    terminal itself needs (libsodium loaded through cffi before it, inotify, a
    netlink socket for the guard) keeps working."""
    out = run_child(
        f"""
        import os, socket, sys, termios, fcntl
        from pathlib import Path
        from cleanroom.ledger import ed25519
        from cleanroom.guard.watch import load_inotify
        load_inotify()  # as the guard does, before the policy
        from cleanroom.tui.launch import prepare
        removed = prepare([Path({str(tmp_path)!r})])
        results = {{}}
        def attempt(name, fn):
            try:
                fn()
                results[name] = "allowed"
            except PermissionError:
                results[name] = "denied"
        def ctypes_import():
            import ctypes
        def ctypes_dlopen():  # watchdog imported ctypes before the policy
            import ctypes
            ctypes.CDLL("libc.so.6")
        def ctypes_dlsym():
            from watchdog.observers import inotify_c
            inotify_c.libc.system
        def ctypes_memory():
            import ctypes
            ctypes.string_at(id(results), 8)
        def pdb_import():
            import pdb
        def tiocsti():
            fd = os.open("/dev/null", os.O_RDONLY)
            try:
                fcntl.ioctl(fd, termios.TIOCSTI, b"x")
            finally:
                os.close(fd)
        def netlink():
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            s.bind((0, 1))
            s.close()
        attempt("import ctypes", ctypes_import)
        attempt("ctypes.dlopen", ctypes_dlopen)
        attempt("ctypes.dlsym", ctypes_dlsym)
        attempt("ctypes memory", ctypes_memory)
        attempt("breakpoint", breakpoint)
        attempt("import pdb", pdb_import)
        attempt("settrace", lambda: sys.settrace(lambda *a: None))
        attempt("setprofile", lambda: sys.setprofile(lambda *a: None))
        attempt("PYTHONINSPECT", lambda: os.environ.__setitem__("PYTHONINSPECT", "1"))
        attempt("other variable", lambda: os.environ.__setitem__("LANG", "C"))
        attempt("TIOCSTI", tiocsti)
        attempt("netlink bind", netlink)
        key = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        sig = ed25519._RFC_SIG
        results["ed25519"] = [ed25519.verify_signature(key, sig, b""),
                              ed25519.verify_signature(key, sig, b"x")]
        results["python variables"] = sorted(k for k in os.environ if k.startswith("PYTHON"))
        results["removed"] = removed
        print(results)
        """,
        {"PYTHONINSPECT": "1", "PYTHONBREAKPOINT": "os.system"},
    )
    assert out.returncode == 0, out.stderr
    results = eval(out.stdout.strip())
    assert {"PYTHONBREAKPOINT", "PYTHONINSPECT"} <= set(results.pop("removed"))
    assert results == {
        "import ctypes": "allowed",  # already imported (by watchdog): no new import
        "ctypes.dlopen": "denied", "ctypes.dlsym": "denied", "ctypes memory": "denied",
        "breakpoint": "denied", "import pdb": "denied", "settrace": "denied",
        "setprofile": "denied", "PYTHONINSPECT": "denied", "other variable": "allowed",
        "TIOCSTI": "denied", "netlink bind": "allowed",
        "ed25519": [True, False], "python variables": [],
    }  # fmt: skip


def test_ctypes_cannot_be_imported_once_the_policy_is_in(tmp_path):
    out = run_child(
        """
        import sys
        from cleanroom.tui.launch import prepare
        prepare([])
        assert "ctypes" not in sys.modules
        try:
            import ctypes
            print("imported")
        except PermissionError as exc:
            print("refused", exc)
        """
    )
    assert "refused blocked by the clean-room policy: import" in out.stdout, out.stderr


def test_audit_policy_refuses_unix_sockets_but_the_ones_named(tmp_path):
    """No AF_UNIX connect or bind unless the app named that socket: a local service
    (a D-Bus session bus, an X server, a clipboard daemon) is a way out too.
    asyncio's self-pipe (a socketpair) raises no such event and keeps working."""
    named, other = tmp_path / "recorder.sock", tmp_path / "other.sock"
    out = run_child(
        f"""
        import socket
        from pathlib import Path
        servers = []
        for path in ({str(named)!r}, {str(other)!r}):
            s = socket.socket(socket.AF_UNIX)
            s.bind(path)
            s.listen()
            servers.append(s)
        from cleanroom.tui.launch import prepare
        prepare([], sockets=[Path({str(tmp_path)!r}) / "." / "recorder.sock"])
        results = {{}}
        def attempt(name, fn):
            try:
                fn()
                results[name] = "allowed"
            except PermissionError:
                results[name] = "denied"
        def connect(address):
            c = socket.socket(socket.AF_UNIX)
            try:
                c.connect(address)
            finally:
                c.close()
        def bind(address):
            c = socket.socket(socket.AF_UNIX)
            try:
                c.bind(address)
            finally:
                c.close()
        attempt("connect named", lambda: connect({str(named)!r}))
        attempt("connect named as bytes", lambda: connect({str(named)!r}.encode()))
        attempt("connect other", lambda: connect({str(other)!r}))
        attempt("connect abstract", lambda: connect("\\0recorder.sock"))
        attempt("bind new", lambda: bind({str(tmp_path / "new.sock")!r}))
        attempt("bind abstract", lambda: bind("\\0x"))
        attempt("autobind", lambda: bind(""))
        a, b = socket.socketpair()
        a.send(b"x")
        results["socketpair"] = b.recv(1).decode()
        print(results)
        """
    )
    assert out.returncode == 0, out.stderr
    results = eval(out.stdout.strip())
    assert results == {
        "connect named": "allowed", "connect named as bytes": "allowed",
        "connect other": "denied", "connect abstract": "denied",
        "bind new": "denied", "bind abstract": "denied", "autobind": "denied",
        "socketpair": "x",
    }  # fmt: skip
    assert not (tmp_path / "new.sock").exists()


def test_audit_policy_names_no_socket_by_default(tmp_path):
    path = tmp_path / "service.sock"
    out = run_child(
        f"""
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.bind({str(path)!r})
        s.listen()
        from cleanroom.tui.launch import prepare
        prepare([])
        c = socket.socket(socket.AF_UNIX)
        try:
            c.connect({str(path)!r})
            print("allowed")
        except PermissionError:
            print("denied")
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "denied"
