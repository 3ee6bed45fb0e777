#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Install the Debian packages needed to build, test and document
# comlink-glib. Idempotent: when every package is already installed it
# returns at once without touching apt.
set -euo pipefail

packages=(
  # build
  meson
  ninja-build
  pkg-config
  gcc
  gettext
  libglib2.0-dev
  libglib2.0-dev-bin
  # introspection and bindings
  gobject-introspection
  libgirepository1.0-dev
  gir1.2-glib-2.0
  python3-gi
  python3-pytest
  gjs
  # tests, sanitizers and style
  valgrind
  clang
  libclang-rt-14-dev
  clang-format
  # the private message bus of the bus tests (GTestDBus)
  dbus-daemon
  # TLS on TCP (GIO's TLS backend) and the tests' certificates
  glib-networking
  openssl
  # the GTK 4 demo (examples/gtk-demo) and its test on a virtual X server
  libgtk-4-dev
  xvfb
  # benchmarks (comparison with jsonrpc-glib)
  libjsonrpc-glib-1.0-dev
  # API reference, and the check of the DOAP file
  gi-docgen
  libxml2-utils
  # the runner of the installed tests (tests/check-installed-tests.sh)
  gnome-desktop-testing
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
else
  sudo=(sudo)
fi

"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
