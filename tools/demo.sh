#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build comlink-glib and run the demo: a worker that tells a story.
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

./_build/examples/comlink-seed-story
