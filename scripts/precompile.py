"""Compile the suite once before pytest-xdist starts its workers (scripts/test).

Every xdist worker imports every test module to collect it, and pytest rewrites
each test module's asserts (an AST pass, then compile) unless it finds the
rewritten code cached in __pycache__. A fresh clone has no cache, and with
PYTHONDONTWRITEBYTECODE set none is ever written, so each worker paid the whole
rewrite again: 23 CPU-s to collect without the cache, 10 with it (measured with
`/usr/bin/time python -m pytest --collect-only -q`), three workers a run.

Here it is done once, spread over the cores: the test modules' rewritten code
(pytest's own rewriter and pyc format, so pytest reads it back and checks it
against the source's size and mtime as it would its own), the plugins' (one
collection of a small test file, which also writes cleanroom's plain bytecode),
and plain bytecode for the rest of tests/. Best effort: anything that fails here
is only rewritten again by the workers, as before. Nothing here changes what a
test runs; only where its code object comes from.

    .venv/bin/python scripts/precompile.py
"""

from __future__ import annotations

import ast
import compileall
import os
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
SMALL = "tests/test_longfirst.py"  # collected once, to rewrite the plugins


def rewritten_modules() -> list[Path]:
    """The files pytest rewrites in tests/: test modules, conftest files, and the
    plugins tests/conftest.py names in `pytest_plugins`."""
    files = sorted({*TESTS.rglob("test_*.py"), *TESTS.rglob("conftest.py")})
    tree = ast.parse((TESTS / "conftest.py").read_bytes())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            for name in ast.literal_eval(node.value):
                files.append(ROOT.joinpath(*name.split(".")).with_suffix(".py"))
    return [f for f in files if "__pycache__" not in f.parts]


def rewrite(path: str) -> bool:
    """Write `path`'s assert-rewritten code where pytest looks for it; False if it
    could not (pytest then rewrites it itself)."""
    from _pytest.assertion import rewrite as r

    fn = Path(path)
    pyc = r.get_cache_dir(fn) / (fn.name[:-3] + r.PYC_TAIL)
    try:
        if r._read_pyc(fn, pyc) is not None:
            return True
        stat, code = r._rewrite_test(fn, None)  # no config: no assertion-pass hook
        pyc.parent.mkdir(exist_ok=True)
        part = pyc.with_name(f"{pyc.name}.{os.getpid()}")
        with open(part, "wb") as f:
            r._write_pyc_fp(f, stat, code)
        os.replace(part, pyc)  # whole or not at all, as pytest's own writer
        return True
    except (OSError, SyntaxError, ValueError):
        return False


def pass_hook_configured() -> bool:
    """pytest's `enable_assertion_pass_hook` changes the rewritten code: then the
    workers must rewrite with the configuration themselves."""
    return "enable_assertion_pass_hook" in (ROOT / "pyproject.toml").read_text()


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    plugins = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", SMALL],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    files = [] if pass_hook_configured() else rewritten_modules()
    try:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            done = sum(pool.map(rewrite, map(str, files), chunksize=8))
    except (ImportError, AttributeError, TypeError) as exc:  # another pytest's internals
        print(f"precompile: test modules left to pytest ({type(exc).__name__}: {exc})")
        done = 0
    # Plain bytecode for what the workers import without rewriting it: the kits
    # in tests/ and cleanroom itself (installed editable, so pip compiled none).
    compileall.compile_dir(TESTS, quiet=2, workers=0, rx=re.compile(r"(^|/)test_[^/]*\.py$"))
    compileall.compile_dir(ROOT / "cleanroom", quiet=2, workers=0)
    plugins.wait()
    print(f"precompiled: {done} of {len(files)} test modules rewritten once for every worker")
    return 0


if __name__ == "__main__":
    sys.exit(main())
