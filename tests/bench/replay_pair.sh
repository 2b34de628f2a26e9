#!/bin/bash
# Paired replay rounds: native, then the same trace replayed by two rp builds.
#   tests/bench/replay_pair.sh RP_BEFORE RP_AFTER TRACE ROUNDS -- PROGRAM ARGS...
# Per round, CPU time (perf stat -e task-clock: rp and the replayed program)
# of the native run, `RP_BEFORE replay -q TRACE` and `RP_AFTER replay -q TRACE`.
# Prints each round and the medians of the per-round ratios.
set -eu -o pipefail
[ $# -ge 6 ] && [ "$5" = -- ] || {
  echo "usage: $0 RP_BEFORE RP_AFTER TRACE ROUNDS -- PROGRAM ARGS..." >&2; exit 2; }
A=$1 B=$2 T=$3 R=$4
shift 5
cpu() { perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}'; }
for ((r = 1; r <= R; r++)); do
  echo "$(cpu "$@") $(cpu "$A" replay -q "$T") $(cpu "$B" replay -q "$T")"
done | awk '
function med(a, n,   i, j, t) {
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ a[NR] = $2 / $1; b[NR] = $3 / $1; ba[NR] = $3 / $2
  printf "round %d: native %.0f ms, before %.0f ms (%.2fx), after %.0f ms (%.2fx), after/before %.2f\n",
         NR, $1, $2, a[NR], $3, b[NR], ba[NR] }
END { printf "MEDIAN of %d rounds: before %.2fx native, after %.2fx native, after/before %.2f\n",
             NR, med(a, NR), med(b, NR), med(ba, NR) }'
