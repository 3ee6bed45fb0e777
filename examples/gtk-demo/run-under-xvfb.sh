#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs a command on a private virtual X server:
#   sh run-under-xvfb.sh COMMAND [ARGUMENT...]
# Xvfb picks a free display number itself (-displayfd), so that tests
# running at the same time never collide. Without Xvfb this fails: the
# test it runs must not pass unseen.
set -eu

if ! command -v Xvfb >/dev/null 2>&1; then
  echo "run-under-xvfb: Xvfb not found (Debian package xvfb)" >&2
  exit 1
fi

tmp=$(mktemp -d)
xvfb_pid=
cleanup () {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Xvfb writes the display number, then a newline, to descriptor 3 once it
# accepts connections
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset \
  3>"$tmp/display" 2>"$tmp/xvfb.log" &
xvfb_pid=$!

tries=0
until grep -q '^[0-9][0-9]*$' "$tmp/display" 2>/dev/null; do
  if ! kill -0 "$xvfb_pid" 2>/dev/null || [ "$tries" -ge 300 ]; then
    echo "run-under-xvfb: Xvfb did not start:" >&2
    cat "$tmp/xvfb.log" >&2
    exit 1
  fi
  tries=$((tries + 1))
  sleep 0.1
done

DISPLAY=:$(cat "$tmp/display")
# X11 only, no accessibility bus and no session bus: nothing outside this
# test is reached
GDK_BACKEND=x11
GTK_A11Y=none
NO_AT_BRIDGE=1
DBUS_SESSION_BUS_ADDRESS=disabled:
GSETTINGS_BACKEND=memory
export DISPLAY GDK_BACKEND GTK_A11Y NO_AT_BRIDGE DBUS_SESSION_BUS_ADDRESS GSETTINGS_BACKEND

echo "run-under-xvfb: Xvfb on display $DISPLAY" >&2
status=0
"$@" || status=$?
exit "$status"
