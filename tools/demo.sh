#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build comlink-glib and run the demo: a worker that tells a story.
set -euo pipefail

cd "$(dirname "$0")/.."

bash tools/build.sh _build
./_build/examples/comlink-seed-story
