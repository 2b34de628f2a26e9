#!/usr/bin/env bash
# Where the time goes while a tracer records nginx under load (issue 12).
#
#   tests/bench/breakdown.sh [--config bpf|count|base] [--requests N] [--perf]
#
# Starts nginx (1 process, as tests/bench/run.sh does) under the config, runs
# `ab -n N -c 100` against it and prints, for the ab interval only:
#   - throughput (ab req/s);
#   - each eBPF program's run count and run time (bpftool prog show, with
#     kernel.bpf_stats_enabled=1 for the run; restored after);
#   - CPU time of nginx and of every thread of the tracer (/proc/PID/task/*/stat,
#     named rp / rp-drain / rp-writer for rp);
# then the time the tracer takes after nginx exits (post-processing).
# --perf also samples the tracer's threads with `perf record -e cpu-clock` during
# the load and prints the top symbols per thread.
# Needs root, nginx, ab; RP_BUILD=DIR (default build/). Prints "BREAKDOWN key value" lines.
set -u -o pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/bpf_progs.sh"
B=${RP_BUILD:-$HERE/../../build}
CONFIG=bpf N=5000 PERF=0
while [ $# -gt 0 ]; do
  case "$1" in
    --config) CONFIG=${2:?}; shift ;;
    --requests) N=${2:?}; shift ;;
    --perf) PERF=1 ;;
    *) echo "breakdown.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
for t in nginx ab bpftool; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "breakdown.sh: $t missing" >&2; exit 2; }
done
W=$(mktemp -d /tmp/rp-breakdown.XXXXXX)
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
TRACER=""
cleanup() {
  sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
  [ -n "$TRACER" ] && kill "$TRACER" 2>/dev/null
  [ -f "$W/nginx.pid" ] && kill -KILL "$(cat "$W/nginx.pid")" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

PORT=$((30000 + $$ % 20000))
mkdir -p "$W/html" "$W/tmp"
cp /usr/share/nginx/html/index.html "$W/html/" 2>/dev/null || echo '<html>hello</html>' >"$W/html/index.html"
cat >"$W/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; user root;
pid $W/nginx.pid; error_log $W/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $W/tmp;
  server { listen 127.0.0.1:$PORT; root $W/html; index index.html; } }
CONF
NG=(nginx -c "$W/nginx.conf" -p "$W/")
case "$CONFIG" in
  bpf) ARGV=("$B/rp" record -q -b bpf -o "$W/t.db" -- "${NG[@]}") ;;
  count) ARGV=("$B/tests/bench/rp_bench_count" -o "$W/counts" -- "${NG[@]}") ;;
  base) ARGV=("${NG[@]}") ;;
  *) echo "breakdown.sh: config is bpf, count or base" >&2; exit 2 ;;
esac
"${ARGV[@]}" >"$W/out" 2>"$W/err" &
TRACER=$!
for ((i = 0; i < 300; i++)); do
  ss -Hltn "sport = :$PORT" | grep -q . && break
  sleep 0.1
done
NGINX_PID=$(cat "$W/nginx.pid")
TICK=$(getconf CLK_TCK)

progs() { tracer_progs "$TRACER"; }
threads() { # tid comm cpu-ms, for every thread of PID $1 (and nginx)
  local t
  for t in /proc/"$1"/task/*; do
    awk -v tick="$TICK" -v tid="${t##*/}" '{
      sub(/^[^(]*\(/, ""); comm = $0; sub(/\).*/, "", comm); sub(/^[^)]*\) /, "")
      print tid, comm, ($12 + $13) * 1000 / tick }' "$t/stat" 2>/dev/null
  done
}
progs >"$W/p0"; threads "$TRACER" >"$W/t0"; threads "$NGINX_PID" >"$W/n0"
if [ $PERF = 1 ] && [ "$CONFIG" = bpf ]; then
  perf record -q -e cpu-clock -F 997 -p "$TRACER" -o "$W/perf.data" >/dev/null 2>&1 &
  PERFP=$!
fi
s=$EPOCHREALTIME
ab -q -r -n "$N" -c 100 "http://127.0.0.1:$PORT/" >"$W/ab" 2>&1
e=$EPOCHREALTIME
[ $PERF = 1 ] && [ -n "${PERFP:-}" ] && { kill -INT "$PERFP"; wait "$PERFP" 2>/dev/null; }
progs >"$W/p1"; threads "$TRACER" >"$W/t1"; threads "$NGINX_PID" >"$W/n1"
kill -QUIT "$NGINX_PID"
for ((i = 0; i < 300; i++)); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.05; done
q0=$EPOCHREALTIME
wait "$TRACER"
q1=$EPOCHREALTIME
TRACER=""

echo "BREAKDOWN config $CONFIG"
echo "BREAKDOWN requests $N"
awk '/^Requests per second:/ {print "BREAKDOWN ab_req_per_s", $4}' "$W/ab"
awk -v s="$s" -v e="$e" 'BEGIN {printf "BREAKDOWN load_wall_ms %.0f\n", (e - s) * 1000}'
join "$W/p0" "$W/p1" | awk '{n = $5 - $3; t = $4 - $2
  printf "BREAKDOWN bpf_prog %s runs %d cpu_ms %.1f ns_per_run %.0f\n", $1, n, t / 1e6, n ? t / n : 0}'
join "$W/n0" "$W/n1" | awk '{printf "BREAKDOWN nginx_cpu_ms %.0f\n", $5 - $3}'
if [ "$CONFIG" != base ]; then
  join "$W/t0" "$W/t1" | awk '{printf "BREAKDOWN tracer_thread %s cpu_ms %.0f\n", $2, $5 - $3}'
fi
awk -v s="$q0" -v e="$q1" 'BEGIN {printf "BREAKDOWN after_exit_wall_ms %.0f\n", (e - s) * 1000}'
if [ "$CONFIG" = bpf ]; then
  "$B/rp" info "$W/t.db" 2>/dev/null | grep -E '^(events|lost records|kernel capture)' | sed 's/^/BREAKDOWN info /'
  ls -l "$W/t.db" | awk '{print "BREAKDOWN trace_bytes", $5}'
fi
if [ $PERF = 1 ] && [ -f "$W/perf.data" ]; then
  perf report -q -i "$W/perf.data" --no-children --sort comm,dso,sym --percent-limit 1.5 2>/dev/null |
    sed 's/^/BREAKDOWN perf /' | head -40
fi
