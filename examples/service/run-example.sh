#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the notes service on a socket of its own, then each client given
# (a command line, run with the service's address and a note) in turn:
# each adds its note and must list every note so far, in order. Then the
# service is stopped, and a client must fail with a clear error.
#
#   run-example.sh SERVICE CLIENT...
set -euo pipefail

service=$1
shift

output=$(mktemp)
trap 'kill "$service_pid" 2>/dev/null || true; rm -f "$output"' EXIT

"$service" --address="unix:abstract=comlink-example-notes-$$" >"$output" &
service_pid=$!
for _ in $(seq 100); do
  [ -s "$output" ] && break
  sleep 0.05
done
address=$(head -n1 "$output")
echo "service listening on $address"

expected=""
n=0
for client in "$@"; do
  n=$((n + 1))
  expected+="$n. note $n"$'\n'
  # shellcheck disable=SC2086 # a client is a command line
  got=$($client "$address" "note $n")
  if [ "$got"$'\n' != "$expected" ]; then
    echo "client $client listed:" >&2
    echo "$got" >&2
    echo "instead of:" >&2
    printf '%s' "$expected" >&2
    exit 1
  fi
  echo "client $n ($client): ok"
done

# Each client's session went with it
for _ in $(seq 100); do
  [ "$(grep -c 'session that added 1 notes is gone' "$output")" -eq "$n" ] && break
  sleep 0.05
done
grep -c 'session that added 1 notes is gone' "$output" | grep -qx "$n"

kill "$service_pid"
wait "$service_pid" || true
# shellcheck disable=SC2086
if error=$($1 "$address" 2>&1); then
  echo "a client reached a stopped service" >&2
  exit 1
fi
echo "after the service stopped: $error"
echo "$error" | grep -q "Cannot connect to"
