#!/bin/sh
# Checks what building unanswered needs from the system: a C compiler, pkg-config and the
# libxslt/libxml2 headers (and, with --tests, openssl for the test certificates; systemd's
# systemd-analyze, which checks the units in contrib/, is installed when it is cheap: as root
# with apt-get; without it the tests check the units' content only). When something is
# missing: installs it when run as root on a system with apt-get, else prints the command to
# type and fails.
set -u
tests=no
[ "${1:-}" = "--tests" ] && tests=yes

missing_deb=""
missing_rpm=""
add() { missing_deb="$missing_deb $1"; missing_rpm="$missing_rpm $2"; }

command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || add gcc gcc
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists libxslt libexslt libxml-2.0 2>/dev/null || add "libxslt1-dev libxml2-dev" "libxslt-devel libxml2-devel"
else
  add "pkg-config libxslt1-dev libxml2-dev" "pkgconf-pkg-config libxslt-devel libxml2-devel"
fi
if [ "$tests" = yes ]; then
  command -v openssl >/dev/null 2>&1 || add openssl openssl
fi

if [ "$tests" = yes ] && ! command -v systemd-analyze >/dev/null 2>&1 \
  && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "prereqs: installing systemd (for systemd-analyze verify)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >&2 \
    || echo "prereqs: systemd not installed; the unit files are checked by content only" >&2
fi

[ -z "$missing_deb" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "prereqs: installing$missing_deb" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  apt-get update -qq && apt-get install -y -qq $missing_deb >&2 && exit 0
  echo "prereqs: apt-get failed" >&2
  exit 1
fi

cat >&2 <<MSG
unanswered needs a few system packages to build, and some are missing.
  Debian / Ubuntu:  sudo apt-get install$missing_deb
  Fedora:           sudo dnf install$missing_rpm
Then run make again.
MSG
exit 1
