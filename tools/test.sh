#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build comlink-glib and run its whole test suite (C, Python and GJS).
set -euo pipefail

cd "$(dirname "$0")/.."

bash tools/build.sh _build
meson test -C _build --print-errorlogs "$@"
