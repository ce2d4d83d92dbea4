"""`cleanroom review` refuses what it cannot use before anything is recorded, with a
clear message and exit 2, never a traceback (issue 11 §1 "Errors"); and
`keys show --trust` says in its exit status whether a certificate is trusted.

Real key files, snapshot and certificate made by the real CLI, run in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def cli(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "cleanroom"), *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=cwd, stdin=subprocess.DEVNULL)  # fmt: skip


def refused(out: subprocess.CompletedProcess[str], *words: str) -> None:
    text = out.stdout + out.stderr
    assert out.returncode == 2, text
    assert "Traceback" not in text, text
    for word in words:
        assert word in out.stderr, (word, out.stderr)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """Two workstations' keys under one vendor, a certificate for ws-a, a snapshot."""
    d = tmp_path_factory.mktemp("site")
    for args in (["vendor-init"], ["workstation-init"], ["workstation-init", "--name", "other"],
                 ["reviewer-init"]):  # fmt: skip
        assert cli("keys", *args, "--dir", d).returncode == 0
    out = cli("keys", "certify", "--vendor-key", d / "vendor.key", "--workstation-pub",
              d / "workstation.pub", "--id", "ws-a", "-o", d / "ws.cert")  # fmt: skip
    assert out.returncode == 0, out.stderr
    (d / "src").mkdir()
    (d / "src" / "a.txt").write_text("hello\n")
    out = cli("snapshot", "create", d / "src", "-o", d / "s.snapshot", "-q",
              "--vendor-key", d / "vendor.key")  # fmt: skip
    assert out.returncode == 0, out.stderr
    (d / "ledgers").mkdir()
    return d


def review_args(site: Path, **override: object) -> list[object]:
    opts: dict[str, object] = {
        "snapshot": site / "s.snapshot",
        "ledger-dir": site / "ledgers",
        "workstation-key": site / "workstation.key",
        "cert": site / "ws.cert",
        "trust": site / "vendor.pub",
        "reviewer": "Ada",
        "org": "Agency",
    }
    opts.update({k.replace("_", "-"): v for k, v in override.items()})
    args: list[object] = ["review", "--in-process"]
    for name, value in opts.items():
        if value is not None:
            args += [f"--{name}", value]
    return args


def test_a_workstation_key_that_is_not_the_certified_one_is_a_usage_error(site):
    out = cli(*review_args(site, workstation_key=site / "other.key"))
    refused(out, "other.key", "ws.cert", "does not match")
    assert list((site / "ledgers").iterdir()) == []


@pytest.mark.parametrize(
    "option, wrong, said",
    [
        ("workstation_key", "vendor.key", "is a vendor-root private key"),
        ("workstation_key", "reviewer.key", "is a reviewer private key"),
        ("reviewer_key", "workstation.key", "is a workstation private key"),
        ("trust", "workstation.pub", "is a workstation public key"),
        ("trust", "vendor.key", "is a vendor-root private key"),
        ("trust", "ws.cert", "not a readable key file"),
        ("cert", "vendor.pub", "not a workstation certificate"),
        ("cert", "workstation.key", "not a workstation certificate"),
    ],
)
def test_review_refuses_keys_of_the_wrong_role(site, option, wrong, said):
    # A snapshot that does not exist: the key must be refused before it is looked at
    # (and the old code, which accepted some of these keys, must not start the UI).
    out = cli(*review_args(site, snapshot=site / "absent.snapshot", **{option: site / wrong}))
    refused(out, "--" + option.replace("_", "-"), said)
    assert list((site / "ledgers").iterdir()) == []


def test_a_ledger_dir_that_does_not_exist_is_refused(site):
    typo = site / "ledgrs"
    out = cli(*review_args(site, ledger_dir=typo))
    refused(out, "ledgrs", "does not exist", "--create-ledger-dir")
    assert not typo.exists()


def test_create_ledger_dir_lifts_the_refusal_but_creates_nothing_on_a_later_error(site):
    new = site / "new-ledgers"
    out = cli(*review_args(site, ledger_dir=new, workstation_key=site / "other.key"),
              "--create-ledger-dir")  # fmt: skip
    refused(out, "does not match")
    assert "does not exist" not in out.stderr and not new.exists()


def test_a_ledger_dir_that_is_a_file_or_a_dangling_link_is_refused(site, tmp_path):
    out = cli(*review_args(site, ledger_dir=site / "ws.cert"), "--create-ledger-dir")
    refused(out, "ws.cert", "is a file")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    out = cli(*review_args(site, ledger_dir=tmp_path / "link"), "--create-ledger-dir")
    refused(out, "link", "not a directory")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(
    "line, named",
    [
        ('snapshott = "x.snapshot"', "snapshott"),
        ('ledger-directory = "ledgers"', "ledger-directory"),
        ("[gaurd]\nair-gap = 'record'", "gaurd"),
        ('idle-minutes = "ten"', "idle-minutes"),
        ("allow-network = 1", "allow-network"),
        ("idle-minutes = 0", "idle-minutes"),
        ("snapshot = 5", "snapshot"),
        ('ledger-dir = "a"\nledger_dir = "b"', "given twice"),
        ("guard = 1", "[guard] must be a table"),
    ],
)
def test_an_unknown_or_malformed_config_key_is_refused_by_name(site, tmp_path, line, named):
    config = tmp_path / "workstation.toml"
    config.write_text(line + "\n")
    out = cli(*review_args(site, snapshot=site / "absent.snapshot"), "--config", config)
    refused(out, named, "workstation.toml")
    assert list((site / "ledgers").iterdir()) == []


def test_keys_show_trust_exits_non_zero_for_an_untrusted_certificate(site):
    trusted = cli("keys", "show", site / "ws.cert", "--trust", site / "vendor.pub")
    assert trusted.returncode == 0 and "valid for a trusted key" in trusted.stdout
    (site / "other-vendor").mkdir(exist_ok=True)
    assert cli("keys", "vendor-init", "--dir", site / "other-vendor").returncode == 0
    untrusted = cli("keys", "show", site / "ws.cert", "--trust",
                    site / "other-vendor" / "vendor.pub")  # fmt: skip
    assert untrusted.returncode == 1, untrusted.stdout + untrusted.stderr
    assert "NOT from a trusted key" in untrusted.stdout
    assert "Traceback" not in untrusted.stderr


def test_the_workstation_toml_in_the_reviewer_guide_is_accepted():
    import re

    from cleanroom.cli.review import review
    from cleanroom.cli.review_config import load_config
    from cleanroom.guard.policy import Policy

    guide = (Path(__file__).resolve().parents[1] / "docs" / "guide-reviewer.md").read_text()
    (block,) = re.findall(r"```toml\n(.*?)```", guide, re.S)
    settings = load_config_text(block, load_config, review)
    assert settings["ledger_dir"] == Path("/var/lib/cleanroom/ledgers")
    assert settings["idle_minutes"] == 5
    Policy.from_dict("review", settings["guard"])


def load_config_text(text, load_config, command):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "workstation.toml"
        path.write_text(text)
        return load_config(path, command)


def test_a_ledger_dir_that_cannot_be_created_is_refused_by_name(site):
    # Below a file: mkdir fails with ENOTDIR, which was printed as a bare errno line.
    out = cli(*review_args(site, ledger_dir=site / "ws.cert" / "ledgers"), "--create-ledger-dir")
    refused(out, "--ledger-dir", "cannot be created", "Not a directory")
    assert "[Errno" not in out.stderr
