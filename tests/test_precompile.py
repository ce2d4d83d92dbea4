"""scripts/precompile.py writes the test modules' assert-rewritten code once, where
each pytest-xdist worker looks for it: the code must be what pytest itself runs
(a failing assert still explains itself), and a file it cannot rewrite is left
to pytest, never an error."""

from pathlib import Path

import pytest
from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc

from scripts import precompile

ROOT = Path(__file__).resolve().parent.parent


def test_the_precompiled_code_is_read_back_by_pytest_and_rewritten(tmp_path: Path) -> None:
    source = tmp_path / "test_x.py"
    source.write_bytes(b"def test_a():\n    x = 1\n    assert x == 2\n")
    assert precompile.rewrite(str(source))
    code = _read_pyc(source, tmp_path / "__pycache__" / f"test_x{PYC_TAIL}")
    assert code is not None  # pytest's own reader accepts it for this source
    space: dict = {}
    exec(code, space)
    with pytest.raises(AssertionError) as failed:
        space["test_a"]()
    assert "assert 1 == 2" in str(failed.value)  # rewritten: a plain assert says nothing


def test_a_changed_source_is_not_served_the_old_code(tmp_path: Path) -> None:
    source = tmp_path / "test_x.py"
    source.write_bytes(b"X = 1\n")
    assert precompile.rewrite(str(source))
    source.write_bytes(b"X = 22\n")  # another size: pytest's check must refuse the old pyc
    assert precompile.rewrite(str(source))
    space: dict = {}
    exec(_read_pyc(source, tmp_path / "__pycache__" / f"test_x{PYC_TAIL}"), space)
    assert space["X"] == 22


@pytest.mark.parametrize("content", [b"", b"def (:\n", b"\xff\xfe not utf-8 \x00"])
def test_a_file_that_cannot_be_rewritten_is_left_to_pytest(tmp_path: Path, content: bytes):
    source = tmp_path / "test_x.py"
    source.write_bytes(content)
    ok = precompile.rewrite(str(source))
    pyc = tmp_path / "__pycache__" / f"test_x{PYC_TAIL}"
    assert ok == pyc.exists()
    assert ok == (content == b"")  # the empty module compiles; the others are pytest's to report


def test_every_module_pytest_rewrites_here_is_precompiled() -> None:
    files = set(precompile.rewritten_modules())
    assert {*(ROOT / "tests").glob("test_*.py"), ROOT / "tests/conftest.py"} <= files
    assert {ROOT / "tests/longfirst.py", ROOT / "tests/workstationkit.py"} <= files
    assert all(f.is_file() for f in files)
