# Sourced by scripts/test and scripts/demo: create or refresh .venv with the project installed.
# Needs only a Python 3.11+ on PATH. Reinstalls when pyproject.toml changes.
set -euo pipefail
py=""
for cand in python3.13 python3.12 python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 &&
     "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    py="$cand"; break
  fi
done
[ -n "$py" ] || { echo "error: Python 3.11 or newer is required" >&2; exit 2; }
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $py"
  "$py" -m venv .venv
fi
stamp=.venv/.cleanroom-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "== installing cleanroom into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test]'
  touch "$stamp"
fi
