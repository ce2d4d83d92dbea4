"""`cleanroom workstation install`, with real accounts and files under --root.

Proves: idempotence, --dry-run changes nothing and lists what install then does,
a reviewer account gets EACCES on the snapshot, the keys and the ledgers, and
hostile requests (names, a symlinked prefix or directory, wrong modes, an
account that already has a shell) change nothing or are put right.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import subprocess
from pathlib import Path

import pytest

from cleanroom.workstation import layout
from tests.workstationkit import Room, as_user, cleanroom


def _tree(root: Path) -> dict[str, tuple]:
    """Every path below root with its type, owner, mode and content."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            data = p.read_bytes() if stat.S_ISREG(st.st_mode) else b""
            out[str(p.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, data)
    return out


def _account(name: str) -> tuple | None:
    try:
        p = pwd.getpwnam(name)
    except KeyError:
        return None
    groups = sorted(g.gr_name for g in grp.getgrall() if name in g.gr_mem)
    return (p.pw_uid, p.pw_gid, p.pw_dir, p.pw_shell, groups)


@pytest.fixture
def installed(room: Room, room_sources) -> Room:
    room.sources = room_sources
    done = room.install("--reviewer", room.reviewer())
    assert done.returncode == 0, done.stdout + done.stderr
    return room


def test_a_second_install_changes_nothing_and_says_so(installed: Room):
    before = (_tree(installed.root), _account(installed.reviewer()), _account(installed.service))
    again = installed.install("--reviewer", installed.reviewer())
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stdout
    assert "done:" not in again.stdout
    after = (_tree(installed.root), _account(installed.reviewer()), _account(installed.service))
    assert after == before


def test_install_places_each_file_with_its_owner_and_mode(installed: Room):
    svc = pwd.getpwnam(installed.service)
    for final, owner, mode in [
        (layout.SNAPSHOT, 0, 0o440),
        (layout.WORKSTATION_KEY, svc.pw_uid, 0o400),
        (layout.CERT, 0, 0o440),
        (layout.TRUST, 0, 0o440),
        (layout.LEDGERS, svc.pw_uid, 0o700),
        (layout.KIOSK, 0, 0o755),
        (layout.UNIT, 0, 0o644),
    ]:
        st = installed.at(final).lstat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (owner, mode), final
    for option, final in [
        ("--snapshot", layout.SNAPSHOT),
        ("--workstation-key", layout.WORKSTATION_KEY),
    ]:
        assert installed.at(final).read_bytes() == installed.sources[option].read_bytes()
    reviewer = pwd.getpwnam(installed.reviewer())
    assert reviewer.pw_shell == layout.KIOSK
    assert installed.reviewer() in grp.getgrnam(installed.group).gr_mem
    assert os.path.basename(pwd.getpwnam(installed.service).pw_shell) in ("nologin", "false")


def test_dry_run_makes_no_change_and_lists_what_install_then_does(room: Room, room_sources):
    room.sources = room_sources
    dry = room.install("--reviewer", room.reviewer(), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert list(room.root.iterdir()) == []
    assert _account(room.reviewer()) is None and _account(room.service) is None
    with pytest.raises(KeyError):
        grp.getgrnam(room.group)
    would = [
        line.removeprefix("would ") for line in dry.stdout.splitlines() if line.startswith("would ")
    ]
    real = room.install("--reviewer", room.reviewer())
    done = [
        line.removeprefix("done: ")
        for line in real.stdout.splitlines()
        if line.startswith("done: ")
    ]
    assert would == done and len(done) > 15
    assert "nothing to change" in room.install("--reviewer", room.reviewer(), "--dry-run").stdout


@pytest.mark.parametrize(
    "final, argv",
    [
        (layout.SNAPSHOT, ["cat", "{}"]),
        (layout.WORKSTATION_KEY, ["cat", "{}"]),
        (layout.CERT, ["cat", "{}"]),
        (layout.LEDGERS, ["ls", "{}"]),
        (layout.LEDGERS, ["touch", "{}/planted.ledger"]),
    ],
)
def test_a_reviewer_gets_eacces_on_the_snapshot_keys_and_ledgers(installed: Room, final, argv):
    target = str(installed.at(final))
    # Control: the same account reads what is meant for everyone in the same tree,
    # so the refusal below comes from the layout, not from the way here.
    control = as_user(installed.reviewer(), "cat", str(installed.at(layout.KIOSK)))
    assert control.returncode == 0, control.stderr
    done = as_user(installed.reviewer(), *[a.format(target) for a in argv])
    assert done.returncode != 0
    assert "Permission denied" in done.stderr
    probe = as_user(
        installed.reviewer(), "/usr/bin/python3", "-I", "-c",
        "import os,sys\ntry: os.stat(sys.argv[1])\nexcept PermissionError: sys.exit(13)",
        target,
    )  # fmt: skip
    assert probe.returncode == 13


@pytest.mark.parametrize(
    "name",
    ["a;touch /tmp/pwned", "../etc", "x$(id)", "Bob", "-rf", "", "a b", "a\nb", "é", "a" * 33],
)
def test_hostile_reviewer_names_are_refused_before_any_change(room: Room, name: str):
    done = room.install("--reviewer", name)
    assert done.returncode == 2
    assert "refused" in done.stderr
    assert list(room.root.iterdir()) == []
    with pytest.raises(KeyError):
        grp.getgrnam(room.group)
    assert not Path("/tmp/pwned").exists()


def test_a_reviewer_that_is_root_or_the_service_account_is_refused(room: Room):
    assert room.install("--reviewer", "root").returncode == 2
    assert room.install("--reviewer", room.service).returncode == 2
    assert list(room.root.iterdir()) == []


def test_a_root_that_is_a_symlink_is_refused(room: Room, tmp_path: Path):
    link = room.root.parent / "link"
    link.symlink_to(room.root)
    done = cleanroom("workstation", "install", "--root", str(link), "--service-account",
                     room.service, "--group", room.group)  # fmt: skip
    assert done.returncode == 2
    assert "symlink" in done.stderr
    assert list(room.root.iterdir()) == []


def test_a_symlink_planted_in_the_layout_is_not_followed(room: Room, room_sources, tmp_path: Path):
    room.sources = room_sources
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    state = room.at(layout.STATE)
    state.mkdir(parents=True)
    (state / "keys").symlink_to(elsewhere)
    done = room.install()
    assert done.returncode == 1
    assert "not followed" in done.stdout
    assert list(elsewhere.iterdir()) == []
    assert elsewhere.stat().st_mode & 0o777 == 0o755


def test_existing_files_with_wrong_modes_and_owners_are_put_right(installed: Room):
    reviewer = pwd.getpwnam(installed.reviewer())
    key = installed.at(layout.WORKSTATION_KEY)
    key.chmod(0o644)
    os.chown(installed.at(layout.SNAPSHOT), reviewer.pw_uid, reviewer.pw_gid)
    installed.at(layout.LEDGERS).chmod(0o777)
    again = installed.install("--reviewer", installed.reviewer())
    assert again.returncode == 0, again.stderr
    assert "(was " in again.stdout
    assert stat.S_IMODE(key.stat().st_mode) == 0o400
    assert installed.at(layout.SNAPSHOT).stat().st_uid == 0
    assert stat.S_IMODE(installed.at(layout.LEDGERS).stat().st_mode) == 0o700
    assert "nothing to change" in installed.install("--reviewer", installed.reviewer()).stdout


def test_a_changed_snapshot_is_replaced_and_an_edited_config_is_kept(installed: Room):
    snap = installed.at(layout.SNAPSHOT)
    snap.chmod(0o640)
    snap.write_bytes(b"not the snapshot")
    config = installed.at(layout.CONFIG)
    config.write_text(config.read_text() + '\nreviewer = "Ada"\n')
    again = installed.install("--reviewer", installed.reviewer())
    assert "content differs" in again.stdout
    assert snap.read_bytes() == installed.sources["--snapshot"].read_bytes()
    assert 'reviewer = "Ada"' in config.read_text()


def test_a_pre_existing_account_with_a_shell_is_adopted(room: Room, tmp_path: Path):
    name = room.reviewer(2)
    room.adopt(name, Path("/dev/shm") / name)
    dry = room.install("--reviewer", name, "--dry-run")
    assert f"set the login shell of {name} to {layout.KIOSK} (was /bin/bash)" in dry.stdout
    assert pwd.getpwnam(name).pw_shell == "/bin/bash"
    assert room.install("--reviewer", name).returncode == 0
    assert pwd.getpwnam(name).pw_shell == layout.KIOSK
    assert name in grp.getgrnam(room.group).gr_mem
    assert pwd.getpwnam(name).pw_dir == f"/dev/shm/{name}"


def test_a_service_account_with_a_shell_loses_it(installed: Room):
    subprocess.run(["usermod", "--shell", "/bin/bash", installed.service], check=True)
    again = installed.install()
    assert "(was /bin/bash)" in again.stdout
    assert os.path.basename(pwd.getpwnam(installed.service).pw_shell) in ("nologin", "false")


@pytest.mark.parametrize(
    "option, swap, says",
    [
        ("--workstation-key", "--trust", "not a workstation private key"),
        ("--workstation-key", "vendor.key", "not a workstation private key"),
        ("--trust", "--cert", ""),
        ("--trust", "workstation.pub", "vendor-root"),
        ("--cert", "--trust", ""),
    ],
)
def test_a_file_given_as_the_wrong_thing_is_refused_before_any_change(
    room: Room, room_sources, option: str, swap: str, says: str
):
    """Above all the vendor's private key, which must never reach a workstation."""
    room.sources = dict(room_sources)
    d = room_sources["--trust"].parent
    room.sources[option] = room_sources[swap] if swap.startswith("--") else d / swap
    done = room.install()
    assert done.returncode == 2, done.stdout
    assert says in done.stderr
    assert list(room.root.iterdir()) == []


def test_a_certificate_from_another_vendor_or_for_another_key_is_refused(
    room: Room, room_sources, tmp_path: Path
):
    cleanroom("keys", "vendor-init", "--dir", str(tmp_path), "--name", "other", check=True)
    cleanroom("keys", "workstation-init", "--dir", str(tmp_path), check=True)
    room.sources = dict(room_sources)
    room.sources["--trust"] = tmp_path / "other.pub"
    done = room.install()
    assert done.returncode == 2 and "not signed by the --trust key" in done.stderr
    room.sources = dict(room_sources)
    room.sources["--workstation-key"] = tmp_path / "workstation.key"
    done = room.install()
    assert done.returncode == 2 and "another key" in done.stderr
    assert list(room.root.iterdir()) == []


@pytest.mark.parametrize("args", [["install"], ["check"]])
def test_install_and_check_refuse_to_run_without_root(room: Room, monkeypatch, args):
    from click.testing import CliRunner

    from cleanroom.cli import main

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(main, ["workstation", *args, *room.names()])
    assert result.exit_code == 2
    assert "must run as root" in result.output
    assert list(room.root.iterdir()) == []


def test_a_file_where_the_layout_needs_a_directory_stops_the_install(room: Room):
    (room.root / "etc").write_bytes(b"not a directory")
    done = room.install()
    assert done.returncode == 1
    assert "not a directory" in done.stdout
    assert (room.root / "etc").read_bytes() == b"not a directory"


def test_a_fifo_or_directory_given_as_the_snapshot_is_refused_without_waiting(
    room: Room, tmp_path: Path
):
    fifo = tmp_path / "snapshot.fifo"
    os.mkfifo(fifo)
    done = room.install("--snapshot", str(fifo))  # would block forever if it were opened
    assert done.returncode == 2 and "not a regular file" in done.stderr
    assert room.install("--snapshot", str(tmp_path)).returncode == 2
    assert list(room.root.iterdir()) == []


def test_the_service_account_can_do_its_work_in_the_layout(installed: Room):
    """The other side of EACCES: the recorder's account reads the snapshot, the key
    and the certificate, writes the ledgers, and cannot change what it only reads."""
    svc = installed.service
    for final in (
        layout.SNAPSHOT,
        layout.WORKSTATION_KEY,
        layout.CERT,
        layout.TRUST,
        layout.CONFIG,
    ):
        done = as_user(svc, "sh", "-c", 'cat "$1" >/dev/null', "sh", str(installed.at(final)))
        assert done.returncode == 0, (final, done.stderr)
    assert as_user(svc, "touch", str(installed.at(layout.LEDGERS + "/s.ledger"))).returncode == 0
    for final in (layout.SNAPSHOT, layout.CERT, layout.CONFIG):
        assert as_user(svc, "chmod", "0666", str(installed.at(final))).returncode != 0
    assert as_user(svc, "touch", str(installed.at(layout.SNAPSHOT_DIR + "/other"))).returncode != 0
    from cleanroom.ledger.keys import check_private_mode

    check_private_mode(installed.at(layout.WORKSTATION_KEY))  # the recorder's own rule


def test_only_reviewers_reach_the_socket(installed: Room):
    from tests.workstationkit import socket_like_the_recorder

    sock = socket_like_the_recorder(installed)
    assert as_user(installed.reviewer(), "test", "-w", str(sock)).returncode == 0
    other = as_user("nobody", "ls", str(sock.parent))
    assert other.returncode != 0 and "Permission denied" in other.stderr
