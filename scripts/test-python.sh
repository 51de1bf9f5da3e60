#!/bin/sh
# Prints the path of a Python interpreter that has aiosmtpd (the SMTP server of the tests,
# tests/smtp/server.py), making one first when needed. Never installs into the system
# interpreter (PEP 668): a virtual environment under target/, else the distribution's package.
set -u
cd "$(dirname "$0")/.."
venv=target/pyenv
has() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || return 1; "$1" -c 'import aiosmtpd' >/dev/null 2>&1; }

for py in "$venv/bin/python3" python3 /usr/bin/python3; do
  if has "$py"; then
    case "$py" in /*) echo "$py" ;; python3) command -v python3 ;; *) echo "$PWD/$py" ;; esac
    exit 0
  fi
done

make_venv() {
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 2>/dev/null || return 1
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r tests/smtp/requirements.txt >&2 || return 1
  has "$venv/bin/python3"
}
if make_venv; then echo "$PWD/$venv/bin/python3"; exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-python: installing python3-venv (for a virtual environment under target/)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2 || true
  if make_venv; then echo "$PWD/$venv/bin/python3"; exit 0; fi
  echo "test-python: no virtual environment; installing Debian's python3-aiosmtpd" >&2
  apt-get install -y -qq python3-aiosmtpd >&2 || true
  if has /usr/bin/python3; then echo /usr/bin/python3; exit 0; fi
fi

cat >&2 <<MSG
The SMTP tests need Python's aiosmtpd, and it could not be set up.
  Debian / Ubuntu:  sudo apt-get install python3-venv     (then run make again)
              or:   sudo apt-get install python3-aiosmtpd
  Fedora:           sudo dnf install python3-aiosmtpd
MSG
exit 1
