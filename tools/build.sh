#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Install what is needed, then configure (once) and compile a build tree:
#   bash tools/build.sh [BUILD_DIR [MESON_OPTION...]]
# BUILD_DIR defaults to _build. The options apply when the tree is
# configured; CC and the rest of the environment pass through to meson.
set -euo pipefail

cd "$(dirname "$0")/.."

bash tools/install-deps.sh

dir="${1:-_build}"
shift || true

# Reuse an existing build tree; repair one whose last configure failed.
if [ -f "$dir/build.ninja" ]; then
  :
elif [ -f "$dir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$dir" "$@"
else
  meson setup "$dir" "$@"
fi
meson compile -C "$dir"
