#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds comlink-glib with -Dinstalled_tests=true, installs it into a
# prefix of its own and runs the installed tests from there, as a
# distribution runs them after installing the package:
#   bash tests/check-installed-tests.sh [BUILD_DIR]
# BUILD_DIR defaults to _build-installed-tests; the prefix is its
# subfolder prefix/, emptied first. The tests run with
# gnome-desktop-testing-runner where it is installed, else each .test
# file's Exec line by hand. Fails if any test fails, or if none ran.
set -euo pipefail

cd "$(dirname "$0")/.."

build="${1:-_build-installed-tests}"
prefix="$PWD/$build/prefix"
name=comlink-glib-1

options=(
  --prefix="$prefix"
  -Dinstalled_tests=true
  -Dtests=true
  -Dintrospection=disabled
  -Dexamples=false
  -Dbenchmarks=false
  -Ddocs=false
)
if [ -f "$build/build.ninja" ]; then
  meson configure "$build" "${options[@]}"
else
  meson setup "$build" "${options[@]}"
fi
meson compile -C "$build"
rm -rf "$prefix"
meson install -C "$build" --quiet

metadir="$prefix/share/installed-tests/$name"
execdir="$(find "$prefix" -type d -path "*/installed-tests/$name" ! -path "$metadir" | head -n 1)"
n_tests=$(find "$metadir" -name '*.test' | wc -l)
if [ "$n_tests" -eq 0 ] || [ -z "$execdir" ]; then
  echo "check-installed-tests: nothing was installed in $metadir" >&2
  exit 1
fi
echo "check-installed-tests: $n_tests tests in $metadir, programs in $execdir"

# The installed library, for a prefix that the dynamic linker does not read
libdir=$(dirname "$(find "$prefix" -name "lib$name.so.0" | head -n 1)")
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if command -v gnome-desktop-testing-runner >/dev/null; then
  # Its exit status is non-zero when a test failed
  gnome-desktop-testing-runner --dir="$prefix/share" --parallel=1 "$name"
  exit $?
fi

passed=0
failed=0
for test_file in "$metadir"/*.test; do
  exec_line=$(sed -n 's/^Exec=//p' "$test_file")
  echo "--- ${test_file##*/}: $exec_line"
  if sh -c "$exec_line"; then
    passed=$((passed + 1))
  else
    echo "FAIL: ${test_file##*/}" >&2
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
