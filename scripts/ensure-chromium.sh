#!/usr/bin/env bash
# Make sure a headless browser for the HTML player's test is installed: Debian's chromium and chromium-driver
# (selenium drives it; nothing is downloaded by selenium itself). Installs them with apt-get when we are root
# (or have password-less sudo) on a system with apt-get; otherwise explains how, and the browser test is
# skipped with that reason.
set -u
have() { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; }
if have; then exit 0; fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ]; then
    echo "Installing chromium and chromium-driver with apt-get (for the HTML player's browser test) ..."
    export DEBIAN_FRONTEND=noninteractive
    if $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; then
      have && { echo "chromium installed: $(chromium --version 2>&1)"; exit 0; }
    fi
    echo "warning: apt-get could not install chromium and chromium-driver." >&2
  fi
fi
echo "note: chromium and chromedriver are missing, so the HTML player's browser test is skipped. Install them" >&2
echo "      with 'sudo apt-get install chromium chromium-driver' (Debian/Ubuntu)." >&2
exit 0
