#!/bin/bash
# Paired getppid rounds: native, two rp builds (--backend=ptrace) and strace -f.
#   tests/bench/ptrace_pair.sh RP_BEFORE RP_AFTER GETPPID_LOOP [ROUNDS [N]]
# Per round, each runs `GETPPID_LOOP N` once under `perf stat -e task-clock`
# (CPU of the tool and the program) and once timed (wall). Prints per round
# µs per call over native, and the after/before and after/strace ratios.
set -eu -o pipefail
[ $# -ge 3 ] || { echo "usage: $0 RP_BEFORE RP_AFTER GETPPID_LOOP [ROUNDS [N]]" >&2; exit 2; }
A=$1 B=$2 S=$3 R=${4:-5} N=${5:-20000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cpu() { perf stat -x, -e task-clock -o "$T/ps" "$@" >/dev/null 2>&1; awk -F, '/task-clock/{print $1}' "$T/ps"; }
wall() { local a b; a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N); echo $(((b - a) / 1000)); }
both() { echo "$(cpu "$@") $(wall "$@")"; }
for ((r = 1; r <= R; r++)); do
  read -r nc nw < <(both "$S" "$N")
  read -r ac aw < <(both "$A" record --backend=ptrace -o "$T/a.db" -- "$S" "$N")
  read -r bc bw < <(both "$B" record --backend=ptrace -o "$T/b.db" -- "$S" "$N")
  read -r sc sw < <(both strace -f -o /dev/null "$S" "$N")
  awk -v N="$N" -v n="$nc" -v a="$ac" -v b="$bc" -v s="$sc" -v nw="$nw" -v aw="$aw" -v bw="$bw" -v sw="$sw" 'BEGIN {
    printf "cpu us/call: before %.1f after %.1f strace %.1f (after/before %.2f after/strace %.2f) | ", (a-n)*1000/N, (b-n)*1000/N, (s-n)*1000/N, (b-n)/(a-n), (b-n)/(s-n)
    printf "wall us/call: before %.1f after %.1f strace %.1f (after/before %.2f after/strace %.2f)\n", (aw-nw)/N, (bw-nw)/N, (sw-nw)/N, (bw-nw)/(aw-nw), (bw-nw)/(sw-nw) }'
done
