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
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
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
