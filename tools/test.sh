#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build comlink-glib and run its whole test suite (C, Python and GJS).
set -euo pipefail

cd "$(dirname "$0")/.."

bash tools/install-deps.sh

# Reuse an existing build tree; repair one whose last configure failed.
if [ -f _build/build.ninja ]; then
  :
elif [ -f _build/meson-private/coredata.dat ]; then
  meson setup --reconfigure _build
else
  meson setup _build
fi
meson compile -C _build

meson test -C _build --print-errorlogs "$@"
