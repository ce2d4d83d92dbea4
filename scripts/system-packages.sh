# Sourced by scripts/test: install the system packages the suite uses when they are
# missing, so the README's test command works on a fresh machine. Never skip a test
# for want of one: fail here, saying what to install.
#   tmux       the end-to-end tests drive the real terminal in it (tests/tmuxkit.py)
#   chromium   the HTML report is rendered in headless Chromium (tests/test_report_chromium.py)
#   libsodium  the system build that cleanroom.ledger.ed25519 prefers (tests/test_ed25519.py)
#   passwd     useradd, usermod, gpasswd: the workstation tests make real accounts
#              (tests/workstationkit.py, tests/accountskit.py)
#   util-linux setpriv: the real-accounts test runs the recorder and the terminal
#              as those accounts (tests/test_e2e_accounts_tmux.py)
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
{ command -v useradd || [ -x /usr/sbin/useradd ]; } >/dev/null 2>&1 || missing+=(passwd)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libsodium\.so\.' || missing+=(libsodium23)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing system packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  # Wait for another apt-get (a second checkout's scripts/test) instead of failing.
  wait=(-o DPkg::Lock::Timeout=300)
  if ! command -v apt-get >/dev/null 2>&1 ||
     ! { "${sudo[@]}" apt-get update -qq "${wait[@]}" &&
         "${sudo[@]}" apt-get install -y -qq "${wait[@]}" "${missing[@]}"; }; then
    echo "error: the tests need ${missing[*]}; install them and rerun" >&2
    exit 2
  fi
fi
