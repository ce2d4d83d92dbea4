# Sourced by scripts/test and scripts/demo: create or refresh .venv with the project installed.
# Needs only a Python 3.11+ on PATH. Reinstalls when pyproject.toml or the launcher
# changes. Every Python here runs isolated (-I): a PYTHONSTARTUP, PYTHONINSPECT or a
# sitecustomize on PYTHONPATH must not run before the demo does (ADR 0201).
set -euo pipefail
# pip's build runs more Pythons, which -I does not reach: they get no PYTHON* either.
isolated() { env $(compgen -e | grep '^PYTHON' | sed 's/^/-u /') "$@"; }
py=""
for cand in python3.13 python3.12 python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 &&
     "$cand" -I -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    py="$cand"; break
  fi
done
[ -n "$py" ] || { echo "error: Python 3.11 or newer is required" >&2; exit 2; }
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $py"
  isolated "$py" -I -m venv .venv
fi
stamp=.venv/.cleanroom-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] ||
   [ scripts/launcher/cleanroom -nt "$stamp" ]; then
  echo "== installing cleanroom into .venv"
  isolated .venv/bin/python -I -m pip install --quiet --upgrade pip
  isolated .venv/bin/python -I -m pip install --quiet -e '.[test]'
  touch "$stamp"
fi
