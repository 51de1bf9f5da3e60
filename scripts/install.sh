#!/bin/sh
# Installs a built unanswered: scripts/install.sh BINARY DESTDIR PREFIX
#   BINARY/bin/unanswered, man pages (made by the binary from its clap definitions), bash, zsh
#   and fish completions, the systemd units (ExecStart pointing at PREFIX/bin), and the example
#   configuration and cron file under share/doc/unanswered/examples.
# Used by `make install` and `make deb`. DESTDIR may be empty.
set -eu
bin=$1
dest=$2
prefix=$3
cd "$(dirname "$0")/.."
root="$dest$prefix"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

install -d "$root/bin" "$root/share/man/man1" "$root/lib/systemd/system" \
  "$root/share/bash-completion/completions" "$root/share/zsh/site-functions" \
  "$root/share/fish/vendor_completions.d" "$root/share/doc/unanswered/examples"
install -m 755 "$bin" "$root/bin/unanswered"

"$bin" generate man "$tmp/man"
for page in "$tmp"/man/*.1; do install -m 644 "$page" "$root/share/man/man1/"; done
"$bin" generate completions bash > "$tmp/unanswered.bash"
"$bin" generate completions zsh > "$tmp/_unanswered"
"$bin" generate completions fish > "$tmp/unanswered.fish"
install -m 644 "$tmp/unanswered.bash" "$root/share/bash-completion/completions/unanswered"
install -m 644 "$tmp/_unanswered" "$root/share/zsh/site-functions/_unanswered"
install -m 644 "$tmp/unanswered.fish" "$root/share/fish/vendor_completions.d/unanswered.fish"

for unit in contrib/systemd/*; do
  sed "s|/usr/bin/unanswered|$prefix/bin/unanswered|g" "$unit" > "$tmp/unit"
  install -m 644 "$tmp/unit" "$root/lib/systemd/system/$(basename "$unit")"
done
install -m 644 contrib/unanswered.toml contrib/cron/unanswered "$root/share/doc/unanswered/examples/"
install -m 644 README.md "$root/share/doc/unanswered/"
