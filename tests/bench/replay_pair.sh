#!/bin/bash
# Paired replay rounds: native, then the same trace replayed by two rp builds.
#   tests/bench/replay_pair.sh RP_BEFORE RP_AFTER TRACE ROUNDS -- PROGRAM ARGS...
# Per round, CPU time (perf stat -e task-clock: rp and the replayed program)
# and wall time of the native run, `RP_BEFORE replay -q TRACE` and
# `RP_AFTER replay -q TRACE`; the two builds take turns going first (load
# drifts). Prints each round and the medians of the per-round ratios.
set -eu -o pipefail
[ $# -ge 6 ] && [ "$5" = -- ] || {
  echo "usage: $0 RP_BEFORE RP_AFTER TRACE ROUNDS -- PROGRAM ARGS..." >&2; exit 2; }
A=$1 B=$2 T=$3 R=$4
shift 5
# "CPU_MS WALL_MS" of one run.
both() {
  local a b c
  a=$(date +%s%N)
  c=$(perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}')
  b=$(date +%s%N)
  echo "$c $(((b - a) / 1000000))"
}
for ((r = 1; r <= R; r++)); do
  n=$(both "$@")
  if ((r % 2)); then
    a=$(both "$A" replay -q "$T"); b=$(both "$B" replay -q "$T")
  else
    b=$(both "$B" replay -q "$T"); a=$(both "$A" replay -q "$T")
  fi
  echo "$n $a $b"
done | awk '
function med(a, n,   i, j, t) {
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ a[NR] = $3 / $1; b[NR] = $5 / $1; ba[NR] = $5 / $3; wa[NR] = $4 / $2; wb[NR] = $6 / $2; wba[NR] = $6 / $4
  printf "round %d: CPU ms native %.0f, before %.0f (%.2fx), after %.0f (%.2fx), after/before %.2f; " \
         "wall ms native %d, before %d, after %d, after/before %.2f\n",
         NR, $1, $3, a[NR], $5, b[NR], ba[NR], $2, $4, $6, wba[NR] }
END { printf "MEDIAN of %d rounds: CPU before %.2fx native, after %.2fx, after/before %.2f; " \
             "wall before %.2fx native, after %.2fx, after/before %.2f\n",
             NR, med(a, NR), med(b, NR), med(ba, NR), med(wa, NR), med(wb, NR), med(wba, NR) }'
