#!/usr/bin/env bash
# Make sure Graphviz's `dot` program is installed. Drawing a graph to DOT text never needs it; rendering to
# SVG/PNG does. Installs it with apt-get when we are root (or have password-less sudo); otherwise explains how,
# and the rendering tests are skipped with that reason.
set -u
if command -v dot >/dev/null 2>&1; then exit 0; fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ]; then
    echo "Installing Graphviz (the 'dot' program) with apt-get ..."
    export DEBIAN_FRONTEND=noninteractive
    if $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq graphviz >/dev/null; then
      command -v dot >/dev/null 2>&1 && { echo "Graphviz installed: $(dot -V 2>&1)"; exit 0; }
    fi
    echo "warning: apt-get could not install graphviz." >&2
  fi
fi
echo "note: Graphviz's 'dot' program is missing, so graphs can be built and printed as DOT text but not" >&2
echo "      rendered to SVG/PNG. Install it with 'sudo apt-get install graphviz' (Debian/Ubuntu)," >&2
echo "      'brew install graphviz' (macOS) or from https://graphviz.org/download/ ; rendering tests skip." >&2
exit 0
