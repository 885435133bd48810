#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, when missing:
#   - redis-server (tests spawn private instances on free ports)
#   - chromium and chromium-driver (the browser tests)
#   - postfix's smtp-sink, unpacked without installing postfix (no daemon)
# Prints nothing when everything is already there. Safe to run repeatedly.
set -euo pipefail

TOOLS_DIR="${COBRO_TOOLS_DIR:-$HOME/.cache/cobro-test-tools}"
mkdir -p "$TOOLS_DIR"

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v redis-server >/dev/null 2>&1; then
  echo "test-deps: installing redis-server" >&2
  apt_install redis-server
fi

# The browser tests drive Debian's headless Chromium, directly (the
# dashboard) and through chromedriver (the debtor's page).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "test-deps: installing chromium and chromium-driver" >&2
  apt_install chromium chromium-driver
fi

SINK="$TOOLS_DIR/postfix/usr/sbin/smtp-sink"
if [ ! -x "$SINK" ]; then
  echo "test-deps: unpacking postfix's smtp-sink into $TOOLS_DIR" >&2
  tmp=$(mktemp -d)
  ( cd "$tmp" && { apt-get download postfix >/dev/null 2>&1 || { apt-get update -qq >/dev/null; apt-get download postfix >/dev/null; }; } )
  rm -rf "$TOOLS_DIR/postfix"
  dpkg -x "$tmp"/postfix_*.deb "$TOOLS_DIR/postfix"
  rm -rf "$tmp"
fi

# Wrapper so tests can run smtp-sink without knowing where its libraries are.
cat > "$TOOLS_DIR/smtp-sink" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$TOOLS_DIR/postfix/usr/lib/postfix" exec "$SINK" "\$@"
WRAP
chmod +x "$TOOLS_DIR/smtp-sink"
