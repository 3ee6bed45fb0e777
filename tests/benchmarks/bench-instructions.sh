#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Instructions per call, counted by callgrind: unlike times, they hardly
# move from one run to the next on a shared machine, so they show what a
# change to the message path costs. Each contender runs its pipelined echo
# calls under `valgrind --tool=callgrind --instr-atstart=no`, and counts
# only while they run (bench_instrument() in bench-common.c), in the
# caller and in the worker: the thread of a thread worker (callgrind's
# file per thread; GDBus's own I/O thread counts as the worker side), the
# child of a subprocess worker (--trace-children=yes).
#
# Usage: bench-instructions.sh BENCH_THREAD BENCH_SUBPROCESS BENCH_CHILD [CALLS]
# or `meson compile -C _build bench-instructions`. CALLS defaults to 20000.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BENCH_THREAD BENCH_SUBPROCESS BENCH_CHILD [CALLS]" >&2
  exit 2
fi
thread_bench=$1
subprocess_bench=$2
child=$3
calls=${4:-20000}

if ! command -v valgrind >/dev/null; then
  echo "$0: valgrind is needed" >&2
  exit 1
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Sums the totals of the callgrind files in $1 as "caller worker": a file
# is the worker's when its program is bench-child, or when it is not
# the first thread of the caller
sum_counts() {
  awk '
    FNR == 1 { worker = 0 }
    /^cmd:/ { if ($2 ~ /bench-child$/) worker = 1 }
    /^thread:/ { if ($2 != 1) worker = 1 }
    /^totals:/ { if (worker) w += $2; else c += $2 }
    END { printf "%.0f %.0f\n", c, w }
  ' "$1"/callgrind.out.*
}

# run NAME PROGRAM ARGS...: the counts of one contender, or "- -"
run() {
  local name=$1 out="$dir/$1"
  shift
  mkdir -p "$out"
  if valgrind --tool=callgrind --instr-atstart=no --trace-children=yes --separate-threads=yes \
       --callgrind-out-file="$out/callgrind.out.%p" "$@" --calls "$calls" \
       >"$out/stdout" 2>"$out/stderr"; then
    sum_counts "$out"
  else
    echo "$0: $name failed; see its output:" >&2
    tail -n 20 "$out/stderr" >&2
    echo "- -"
  fi
}

# row LABEL FLOOR_TOTAL CALLER WORKER
row() {
  awk -v label="$1" -v floor="$2" -v c="$3" -v w="$4" -v n="$calls" 'BEGIN {
    if (c == "-") { printf "%-30s %10s %10s %10s %10s\n", label, "-", "-", "-", "-"; exit }
    t = (c + w) / n
    ratio = floor > 0 ? sprintf ("%.1f", t / floor) : "-"
    printf "%-30s %10.0f %10.0f %10.0f %10s\n", label, c / n, w / n, t, ratio
  }'
}

total() {
  awk -v c="$1" -v w="$2" -v n="$calls" 'BEGIN { print (c == "-") ? 0 : (c + w) / n }'
}

read -r tc_c tc_w < <(run thread-comlink "$thread_bench" --instructions comlink)
read -r tf_c tf_w < <(run thread-floor "$thread_bench" --instructions floor)
read -r td_c td_w < <(run thread-gdbus "$thread_bench" --instructions gdbus)
read -r pc_c pc_w < <(run process-comlink "$subprocess_bench" --child "$child" --instructions comlink)
read -r pf_c pf_w < <(run process-floor "$subprocess_bench" --child "$child" --instructions floor)
read -r ps_c ps_w < <(run process-sources "$subprocess_bench" --child "$child" --instructions sources)
read -r po_c po_w < <(run process-single "$subprocess_bench" --child "$child" --instructions single)
read -r pd_c pd_w < <(run process-gdbus "$subprocess_bench" --child "$child" --instructions gdbus)
# bench-child names jsonrpc in its usage when it was built with it
usage=$("$child" --usage 2>&1 || true)
if [[ $usage == *jsonrpc* ]]; then
  read -r pj_c pj_w < <(run process-jsonrpc "$subprocess_bench" --child "$child" --instructions jsonrpc)
else
  pj_c=- pj_w=-
fi

thread_floor=$(total "$tf_c" "$tf_w")
sources_floor=$(total "$ps_c" "$ps_w")

printf "\ninstructions per call (callgrind, user space only: the kernel's work in system calls is\n"
printf "not counted), %s pipelined echo calls per contender, 1000 in flight, after a warm-up\n" "$calls"
printf "%-30s %10s %10s %10s %10s\n" "" "caller" "worker" "total" "x floor"
echo "threads (x the invoke floor)"
row "  comlink thread worker" "$thread_floor" "$tc_c" "$tc_w"
row "  g_main_context_invoke floor" "$thread_floor" "$tf_c" "$tf_w"
row "  GDBus p2p" "$thread_floor" "$td_c" "$td_w"
echo "processes (x the sources floor)"
row "  comlink subprocess worker" "$sources_floor" "$pc_c" "$pc_w"
row "  blocking socket floor" "$sources_floor" "$pf_c" "$pf_w"
row "  GSocket-sources floor" "$sources_floor" "$ps_c" "$ps_w"
row "  single floor (unbatched)" "$sources_floor" "$po_c" "$po_w"
row "  GDBus p2p" "$sources_floor" "$pd_c" "$pd_w"
row "  jsonrpc-glib" "$sources_floor" "$pj_c" "$pj_w"
