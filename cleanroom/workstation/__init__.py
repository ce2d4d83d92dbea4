"""The workstation: accounts, directories, the recorder's unit and the kiosk login.

`cleanroom workstation install` builds a plan of changes as data (`plan`), prints
it and applies it idempotently (`changes`, `placing`); `cleanroom workstation
check` reports what is wrong (`check` and the `check_*` modules). No textual,
no tui: this layer sits beside guard/ and uses only the core below it.
ADR 0203 explains the layout.
"""
