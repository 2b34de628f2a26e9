#!/usr/bin/env bash
# Per-run cost of rp's eBPF programs on one workload (issue 12).
#
#   tests/bench/prog_cost.sh [--secs S] [--config bpf|count] [--beside] -- PROG [ARGS...]
#
# Records PROG (which should run for longer than S + 1 seconds; it is killed
# after the window) with `rp record -b bpf` (or the count floor,
# rp_bench_count), and over S seconds (default 2) of its run prints each
# program's run count, run time and ns per run from `bpftool prog show` with
# kernel.bpf_stats_enabled=1. Run counts include every task's syscalls on the
# machine: the programs run for all of them and return after the tgid check.
# --beside: PROG runs untraced beside a recording of an idle program
# (`sleep`): the figures are then those of the tasks the programs do not
# trace, which every other process on the machine pays (the tgid check).
# Needs root and bpftool; RP_BUILD=DIR (default build/). Prints
# "PROGCOST name runs N ns_per_run X" lines.
set -u -o pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/bpf_progs.sh"
B=${RP_BUILD:-$HERE/../../build}
SECS=2 CONFIG=bpf BESIDE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --secs) SECS=${2:?}; shift ;;
    --config) CONFIG=${2:?}; shift ;;
    --beside) BESIDE=1 ;;
    --) shift; break ;;
    *) echo "prog_cost.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ $# -gt 0 ] || { echo "prog_cost.sh: no program given" >&2; exit 2; }
command -v bpftool >/dev/null || { echo "prog_cost.sh: bpftool missing" >&2; exit 2; }
W=$(mktemp -d /tmp/rp-progcost.XXXXXX)
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
TRACER="" WORK=""
cleanup() {
  sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
  [ -n "$TRACER" ] && { pkill -KILL -P "$TRACER" 2>/dev/null; kill "$TRACER" 2>/dev/null; wait "$TRACER" 2>/dev/null; }
  [ -n "$WORK" ] && { kill -KILL "$WORK" 2>/dev/null; wait "$WORK" 2>/dev/null; }
  rm -rf "$W"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1
# What is recorded: PROG, or beside it an idle program.
TRACED=("$@")
[ "$BESIDE" = 1 ] && TRACED=(sleep $((SECS + 600)))
case "$CONFIG" in
  bpf) "$B/rp" record -q -b bpf -o "$W/t.db" -- "${TRACED[@]}" >/dev/null 2>"$W/err" & ;;
  count) "$B/tests/bench/rp_bench_count" -o "$W/counts" -- "${TRACED[@]}" >/dev/null 2>"$W/err" & ;;
  *) echo "prog_cost.sh: config is bpf or count" >&2; exit 2 ;;
esac
TRACER=$!
if [ "$BESIDE" = 1 ]; then
  "$@" >/dev/null 2>&1 </dev/null &
  WORK=$!
fi

progs() { tracer_progs "$TRACER"; }
for ((i = 0; i < 100; i++)); do
  [ -n "$(progs)" ] && break
  sleep 0.1
done
sleep 1 # past the program's start
progs >"$W/p0"
sleep "$SECS"
progs >"$W/p1"
kill -0 "$TRACER" 2>/dev/null || { echo "prog_cost.sh: the program ended before the window did" >&2; cat "$W/err" >&2; exit 1; }
[ -z "$WORK" ] || kill -0 "$WORK" 2>/dev/null || { echo "prog_cost.sh: the untraced program ended before the window did" >&2; exit 1; }
join "$W/p0" "$W/p1" | awk '{n = $5 - $3; t = $4 - $2
  printf "PROGCOST %s runs %d ns_per_run %.0f\n", $1, n, n ? t / n : 0}'
