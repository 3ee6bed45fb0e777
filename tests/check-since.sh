#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every "Since:" tag of the public API names a version the project has
# had: this one's major.minor, while nothing was released before it.
#   check-since.sh SOURCE_ROOT VERSION
set -euo pipefail

root=$1
version=$2
expected="${version%.*}"

wrong=$(grep -rn --include='*.c' --include='*.h' --include='*.h.in' 'Since: ' "$root/comlink-glib" |
  grep -v "Since: $expected\$" || true)
if [ -n "$wrong" ]; then
  echo "Since: tags that are not $expected (the version is $version):" >&2
  echo "$wrong" >&2
  exit 1
fi
count=$(grep -rn --include='*.c' --include='*.h' --include='*.h.in' "Since: $expected\$" "$root/comlink-glib" | wc -l)
echo "$count Since: tags, all $expected"
[ "$count" -gt 0 ]
