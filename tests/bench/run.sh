#!/usr/bin/env bash
# rp performance benchmark (issue 5).
#
#   tests/bench/run.sh [--quick] [--rounds N] [--out FILE] [--keep]
#
# Installs what it needs (nginx, ab, wrk, strace, perf, bpftrace, sqlite3, gcc), builds rp
# (or uses $RP_BUILD), runs the experiments below and prints one markdown table per
# experiment, then the machine-readable lines, last:
#     RESULT <experiment> <config> <value> <unit>
# A configuration that cannot run prints "RESULT <experiment> <config> NA <unit>" with the
# reason on the line above it (a line starting with "#").
#
# Experiments: nginx (+ nginx-100k, nginx-wrk), micro-getppid, micro-read64k, replay-micro
# (+ replay-micro-read64k), replay-nginx, replay-async-point-{tight_loop,alarm_loop}, trace-size (+ trace-size-getppid/-read64k),
# scaling-threads-T, scaling-read-SIZE.
# Configs: base, count, bpf, ptrace, kmod, strace, perf, bpftrace. count is the floor (issue 12):
# a tiny eBPF program of the benchmark's own (tests/bench/count.bpf.c) on the hooks rp's eBPF
# backend uses, counting syscalls per number and nothing else.
#
# Everything runs on 127.0.0.1 only, every loop is bounded in count and time, and all
# processes and temp files are removed on exit, including Ctrl-C.
#
# --quick  fewer rounds and smaller counts; finishes in under 3 minutes.
# --rounds N  nginx pairs (base, X) per config (quick: 2, full: 5); the nginx time budget
#          grows in proportion, so that a quick run can be made less noisy.
# --out F  also write the tables and RESULT lines to F.
# --keep   keep the temp dir (traces, tool outputs, raw data) and print its path.
# --only L run only these parts, comma-separated: nginx, micro, replay, trace-size, scaling
#          (replay-micro and trace-size use the traces of micro and replay-nginx).
# --configs L  run only these configs, comma-separated (e.g. ptrace,strace); the others
#          print NA "not selected". base always runs.
#
# Environment: RP_BUILD=DIR  use an existing build dir (rp + samples) instead of building
#              /tmp/build-bench.

set -u -o pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
QUICK=0
OUT=""
KEEP=0
ONLY=""
CONFIGS=""
ROUNDS_ARG=""
want() { [ -z "$ONLY" ] || [[ "$ONLY" == *",$1,"* ]]; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --out) OUT=${2:?--out needs a file}; shift ;;
    --keep) KEEP=1 ;;
    --rounds) ROUNDS_ARG=${2:?--rounds needs a number}; shift
      [[ "$ROUNDS_ARG" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds wants a positive number" >&2; exit 2; } ;;
    --only) ONLY=",${2:?--only needs a list},"; shift ;;
    --configs) CONFIGS=",${2:?--configs needs a list},"; shift ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

T0=$EPOCHSECONDS
log() { printf '[bench %4ds] %s\n' $((EPOCHSECONDS - T0)) "$*" >&2; }

# ---------------------------------------------------------------- parameters
if [ $QUICK = 1 ]; then
  MODE=quick
  ROUNDS=2          # nginx: pairs (base, X) per config
  AB_N=2000         # ab requests for the default page
  AB_BIG_N=200      # ab requests for the 100 KB file
  WRK_D=0           # wrk seconds (0: skip wrk)
  MICRO_N=200000    # getppid calls
  READ_N=1000       # 64 KiB preads
  MICRO_REPS=1
  THREAD_K=5000     # getppid calls per thread
  RS_CAP=300        # reads per size (scaling vs read size) ...
  RS_BYTES=$((64 << 20))  # ... and at most this many bytes
  REPLAY_NGINX_N=2000
  CMD_TIMEOUT=60
  B_NGINX=60 B_GETPPID=55 B_READ64K=20 B_REPLAY=30 B_SCALING=25   # per-experiment time budgets, s
  B_TOTAL=160       # all experiments (after installing and building)
else
  MODE=full
  ROUNDS=5
  AB_N=10000
  AB_BIG_N=1000
  WRK_D=4
  MICRO_N=1000000
  READ_N=5000
  MICRO_REPS=3
  THREAD_K=50000
  RS_CAP=2000
  RS_BYTES=$((256 << 20))
  REPLAY_NGINX_N=10000
  CMD_TIMEOUT=300
  B_NGINX=720 B_GETPPID=420 B_READ64K=150 B_REPLAY=150 B_SCALING=240
  B_TOTAL=1740
fi
if [ -n "$ROUNDS_ARG" ]; then   # more pairs: the nginx budget (and the total) grow with them
  B_TOTAL=$((B_TOTAL - B_NGINX))
  per_round=$((B_NGINX / ROUNDS))
  ((per_round < 60)) && per_round=60   # a round of all configs takes ~50 s with --quick
  B_NGINX=$((per_round * ROUNDS_ARG))
  B_TOTAL=$((B_TOTAL + B_NGINX))
  ROUNDS=$ROUNDS_ARG
fi
AB_C=100
PERF_MMAP=4096   # perf trace -m (pages per CPU): the default loses events
BT_PROG='tracepoint:raw_syscalls:sys_exit /pid == cpid/ { printf("%d %ld %ld\n", tid, args->id, args->ret); }'
ALL_CONFIGS=(count bpf ptrace kmod strace perf bpftrace)
RP_CONFIGS=(bpf ptrace kmod)

# ---------------------------------------------------------------- temp dir, cleanup
W=$(mktemp -d /tmp/rp-bench.XXXXXX) || exit 1
mkdir -p "$W/data" "$W/keep" "$W/out"
TABLES=$W/out/tables.md
RESULTS=$W/out/results.txt
: >"$TABLES"
: >"$RESULTS"
PIDS=()   # background processes this script started

is_nginx() { [ -n "${1:-}" ] && [ "$(cat /proc/"$1"/comm 2>/dev/null)" = nginx ]; }

cleanup() {
  trap - EXIT INT TERM
  local p f np
  for f in "$W"/ng-*/nginx.pid; do
    [ -f "$f" ] || continue
    np=$(cat "$f" 2>/dev/null)
    is_nginx "$np" && kill -TERM "$np" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
  for f in "$W"/ng-*/nginx.pid; do
    [ -f "$f" ] || continue
    np=$(cat "$f" 2>/dev/null)
    is_nginx "$np" && kill -KILL "$np" 2>/dev/null
  done
  wait 2>/dev/null
  if [ $KEEP = 1 ]; then
    echo "run.sh: kept $W" >&2
  else
    rm -rf "$W"
  fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

forget_pid() {
  local p out=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || out+=("$p"); done
  PIDS=("${out[@]}")
}

# Waits up to $2 seconds for process $1 (our child) to end; 0 if it did.
wait_gone() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- small helpers
now_us() { echo "${EPOCHREALTIME/./}"; }
# until BUDGET-S: the time an experiment must stop starting runs: BUDGET-S from now, or the
# end of the whole benchmark if that comes first.
T_END=$((EPOCHSECONDS + 3600))
until_() { local d=$((EPOCHSECONDS + $1)); ((d > T_END)) && d=$T_END; echo "$d"; }

# timed CMD...: runs CMD (with a timeout), sets ELAPSED_US, returns CMD's status.
timed() {
  local s e rc
  s=$(now_us)
  # --foreground: stay in our process group so that Ctrl-C reaches the command
  timeout --foreground -k 5 "$CMD_TIMEOUT" "$@"
  rc=$?
  e=$(now_us)
  ELAPSED_US=$((e - s))
  return $rc
}

# timed_min CMD...: runs CMD 3 times, ELAPSED_US = the fastest. Used for native baselines,
# which are short and easily disturbed by whatever else runs on the 2 CPUs.
timed_min() {
  local i best=""
  for i in 1 2 3; do
    timed "$@" || return
    [ -z "$best" ] || ((ELAPSED_US < best)) && best=$ELAPSED_US
  done
  ELAPSED_US=$best
}

isnum() { [[ "${1:-}" =~ ^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

# Numbers on stdin (non-numbers ignored) -> "median min max n", or "NA NA NA 0".
stats() {
  awk '$1 ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ {print $1}' | sort -g |
    awk '{a[NR] = $1} END {
      if (NR == 0) { print "NA NA NA 0"; exit }
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      print m, a[1], a[NR], NR }'
}
median() { stats | awk '{print $1}'; }
fmt() { # fmt PRINTF-FORMAT VALUE -> formatted, or NA
  if isnum "${2:-}"; then awk -v f="$1" -v v="$2" 'BEGIN {printf f, v}'; else echo NA; fi
}
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }   # only ever called with numbers
fsize() { stat -c %s "$1" 2>/dev/null || echo NA; }

table() { printf '%s\n' "$@" >>"$TABLES"; }
result() { # result EXPERIMENT CONFIG VALUE UNIT [REASON]
  local v=$3
  if ! isnum "$v"; then
    v=NA
    printf '# %s %s: %s\n' "$1" "$2" "${5:-not measured}" >>"$RESULTS"
  fi
  printf 'RESULT %s %s %s %s\n' "$1" "$2" "$v" "$4" >>"$RESULTS"
}

# ---------------------------------------------------------------- dependencies
install_deps() {
  local need=() p
  command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
  for p in apache2-utils wrk strace linux-perf bpftrace sqlite3 gcc; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  [ ${#need[@]} = 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing packages (${need[*]}) and not root: configs that need them will be NA"
    return 0
  fi
  log "installing ${need[*]}"
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
  if ! DEBIAN_FRONTEND=noninteractive timeout 900 "${apt[@]}" install "${need[@]}" >"$W/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive timeout 600 "${apt[@]}" update >>"$W/apt.log" 2>&1
    for p in "${need[@]}"; do   # one by one, so one missing package does not block the rest
      DEBIAN_FRONTEND=noninteractive timeout 600 "${apt[@]}" install "$p" >>"$W/apt.log" 2>&1 ||
        log "apt-get install $p failed (see --keep $W/apt.log)"
    done
    command -v nginx >/dev/null 2>&1 ||
      DEBIAN_FRONTEND=noninteractive timeout 600 "${apt[@]}" install nginx >>"$W/apt.log" 2>&1
  fi
}

build_rp() {
  if [ -n "${RP_BUILD:-}" ]; then
    B=$RP_BUILD
  else
    B=/tmp/build-bench
    log "building rp in $B"
    if ! { cmake -S "$REPO" -B "$B" >"$W/build.log" 2>&1 &&
           cmake --build "$B" -j2 --target rp sample_getppid_loop sample_read64k >>"$W/build.log" 2>&1; }; then
      if [ -x "$B/rp" ]; then
        log "build failed; using the existing $B/rp (last lines of the log follow)"
        tail -5 "$W/build.log" >&2
      else
        tail -20 "$W/build.log" >&2
        echo "run.sh: cannot build rp" >&2
        exit 1
      fi
    fi
  fi
  RP=$B/rp
  S=$B/samples
  # the counting floor; built with rp's eBPF backend (left out where that is)
  COUNT=$B/tests/bench/rp_bench_count
  [ -x "$COUNT" ] || cmake --build "$B" -j2 --target rp_bench_count >>"$W/build.log" 2>&1
  for f in "$RP" "$S/sample_getppid_loop" "$S/sample_read64k"; do
    [ -x "$f" ] || { echo "run.sh: $f missing (RP_BUILD=$B)" >&2; exit 1; }
  done
  gcc -O2 -Wall -pthread -o "$W/threads_getppid" "$HERE/threads_getppid.c" &&
    gcc -O2 -Wall -o "$W/readsize" "$HERE/readsize.c" || { echo "run.sh: gcc failed" >&2; exit 1; }
}

# ---------------------------------------------------------------- which configs run
declare -A NA_REASON=()

probe_configs() {
  local b out rc
  for b in "${RP_CONFIGS[@]}"; do
    out=$(cd "$W" && timeout 60 "$RP" record -q -b "$b" -o "$W/probe-$b.db" -- /bin/true 2>&1)
    rc=$?
    if [ $rc != 0 ]; then
      out=$(printf '%s' "$out" | grep -v '^$' | head -1 | sed 's/^rp: //; s/^record: //')
      NA_REASON[$b]="rp record --backend=$b: ${out:-fails with exit $rc}"
      if [ "$b" = kmod ] && [ ! -e /proc/modules ]; then
        NA_REASON[$b]="cannot load kernel modules on this kernel (CONFIG_MODULES off); rp.ko runs only in the QEMU test VM"
      fi
    fi
  done
  if [ ! -x "$COUNT" ]; then
    NA_REASON[count]="rp_bench_count not built (needs rp's eBPF build: clang, bpftool, libbpf-dev)"
  elif ! out=$(timeout 60 "$COUNT" -o /dev/null -- /bin/true 2>&1); then
    NA_REASON[count]="rp_bench_count fails: $(printf '%s' "$out" | head -1)"
  fi
  command -v strace >/dev/null 2>&1 || NA_REASON[strace]="strace not installed"
  if ! command -v perf >/dev/null 2>&1; then
    NA_REASON[perf]="perf not installed"
  elif ! out=$(timeout 60 perf trace -o /dev/null -- /bin/true 2>&1); then
    NA_REASON[perf]="perf trace fails: $(printf '%s' "$out" | head -1)"
  fi
  if ! command -v bpftrace >/dev/null 2>&1; then
    NA_REASON[bpftrace]="bpftrace not installed"
  elif ! out=$(timeout 60 bpftrace -e 'BEGIN { exit(); }' 2>&1 >/dev/null); then
    NA_REASON[bpftrace]="bpftrace fails: $(printf '%s' "$out" | grep -v RLIMIT_MEMLOCK | head -1)"
  fi
  local c
  for c in "${ALL_CONFIGS[@]}"; do
    [ -z "$CONFIGS" ] || [[ "$CONFIGS" == *",$c,"* ]] || NA_REASON[$c]="not selected (--configs)"
  done
  HAVE_WRK=0
  command -v wrk >/dev/null 2>&1 && HAVE_WRK=1
  # Attach to a running process? (another engineer adds "rp record -p PID")
  RP_HAS_P=0
  "$RP" record --help 2>&1 | grep -qE -- '(^|[^[:alnum:]-])-p([^[:alnum:]-]|$)|--pid' && RP_HAS_P=1
}
avail() { [ -z "${NA_REASON[$1]:-}" ]; }

# ---------------------------------------------------------------- running under a config
# traced_argv CONFIG ARTIFACT-PREFIX CMD...: sets TARGV to CMD run under CONFIG. Callers
# send the command's stderr to ARTIFACT-PREFIX.err.
traced_argv() {
  local c=$1 art=$2
  shift 2
  case "$c" in
    base|native) TARGV=("$@") ;;
    bpf|ptrace|kmod) TARGV=("$RP" record -q -b "$c" -o "$art.db" -- "$@") ;;
    count) TARGV=("$COUNT" -o "$art.count" -- "$@") ;;
    strace) TARGV=(strace -f -o "$art.strace" "$@") ;;
    perf) TARGV=(perf trace -m "$PERF_MMAP" -o "$art.perf" -- "$@") ;;
    bpftrace) TARGV=(bpftrace -o "$art.bt" -c "$*" -e "$BT_PROG") ;;
  esac
}
out_file() { # the file CONFIG writes for ARTIFACT-PREFIX
  case "$1" in
    bpf|ptrace|kmod) echo "$2.db" ;;
    count) echo "$2.count" ;;
    strace) echo "$2.strace" ;;
    perf) echo "$2.perf" ;;
    bpftrace) echo "$2.bt" ;;
    *) echo /dev/null ;;
  esac
}
lost_of() { # lost records/events of one traced run
  local f
  case "$1" in
    # the trace's own count (meta lost_records), never assumed; NA without it
    bpf|ptrace|kmod) q "$2.db" "select value from meta where key = 'lost_records'" ;;
    count) echo 0 ;;    # per-CPU counters: nothing to lose
    strace) echo 0 ;;   # strace stops the tracee; it cannot lose events
    perf) grep -ahoE 'LOST [0-9]+' "$2.perf" 2>/dev/null | awk '{s += $2} END {print s + 0}' ;;
    bpftrace)
      for f in "$2.bt" "$2.err"; do [ -f "$f" ] && grep -ahoiE 'lost [0-9]+ events' "$f"; done |
        awk '{s += $2} END {print s + 0}' ;;
    *) echo 0 ;;
  esac
}
rp_info() { "$RP" info "$1" 2>/dev/null | awk -F: -v k="$2" '$1 == k {sub(/^[ ]+/, "", $2); print $2; exit}'; }
first_err() { grep -av '^$' "$1" 2>/dev/null | grep -av RLIMIT_MEMLOCK | head -2 | tr '\n' ' ' | cut -c1-200; }

# ================================================================ nginx
PORT_NEXT=$((20000 + $$ % 20000))
pick_port() { # sets PORT to a free 127.0.0.1 port
  local i
  for ((i = 0; i < 200; i++)); do
    PORT_NEXT=$((PORT_NEXT >= 60000 ? 20000 : PORT_NEXT + 1))
    if ! ss -Htan "sport = :$PORT_NEXT" 2>/dev/null | grep -q .; then
      PORT=$PORT_NEXT
      return 0
    fi
  done
  return 1
}

NGX_HTML=""
nginx_setup() {
  NGINX=$(command -v nginx) || { echo "run.sh: nginx not installed" >&2; exit 1; }
  NGINX=$(readlink -f "$NGINX")   # bpftrace -c wants an unambiguous path
  NGX_HTML=$W/html
  mkdir -p "$NGX_HTML"
  if [ -f /usr/share/nginx/html/index.html ]; then
    cp /usr/share/nginx/html/index.html "$NGX_HTML/index.html"
  else
    { echo '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>'
      for _ in $(seq 12); do echo '<p>If you see this page, the nginx web server is working.</p>'; done
      echo '</body></html>'; } >"$NGX_HTML/index.html"
  fi
  head -c 102400 /dev/urandom >"$NGX_HTML/100k.bin"
  NGX_TEMP_DIRECTIVES=""
  local m v
  v=$(nginx -V 2>&1)
  for m in client_body proxy fastcgi uwsgi scgi; do
    case "$m" in client_body) ;; *) [[ "$v" == *"--without-http_${m}_module"* ]] && continue ;; esac
    NGX_TEMP_DIRECTIVES+="  ${m}_temp_path TEMPDIR/$m;"$'\n'
  done
}

# nginx_conf DIR PORT: one process (master_process off: the single process is the worker),
# 1 worker, no access log, everything in DIR.
nginx_conf() {
  local d=$1 port=$2
  mkdir -p "$d/tmp"
  cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
user root;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
  access_log off;
${NGX_TEMP_DIRECTIVES//TEMPDIR/$d/tmp}
  server {
    listen 127.0.0.1:$port;
    root $NGX_HTML;
    index index.html;
  }
}
EOF
}

# wait_listen PORT PID SECONDS: 0 once 127.0.0.1:PORT accepts; 1 if PID died or time ran out.
wait_listen() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stop_nginx DIR LAUNCHER-PID [EXTRA-PID]: graceful quit, then force; reaps the launchers.
stop_nginx() {
  local d=$1 lp=$2 xp=${3:-} np
  np=$(cat "$d/nginx.pid" 2>/dev/null)
  is_nginx "$np" && kill -QUIT "$np" 2>/dev/null
  if ! wait_gone "$lp" 30; then
    log "nginx ($d) did not quit in 30 s; terminating"
    is_nginx "$np" && kill -TERM "$np" 2>/dev/null
    kill -TERM "$lp" 2>/dev/null
    wait_gone "$lp" 10 || kill -KILL "$lp" 2>/dev/null
  fi
  wait "$lp" 2>/dev/null
  forget_pid "$lp"
  if [ -n "$xp" ]; then
    wait_gone "$xp" 30 || { kill -INT "$xp" 2>/dev/null; wait_gone "$xp" 10 || kill -KILL "$xp" 2>/dev/null; }
    wait "$xp" 2>/dev/null
    forget_pid "$xp"
  fi
  is_nginx "$np" && kill -KILL "$np" 2>/dev/null
  rm -f "$d/nginx.pid"
}

ab_run() { # ab_run URL N OUTFILE -> "rps complete failed seconds"
  timeout --foreground -k 5 $((CMD_TIMEOUT + 60)) ab -q -r -s 30 -n "$2" -c "$AB_C" "$1" >"$3" 2>&1
  awk '/^Requests per second:/ {r = $4} /^Complete requests:/ {c = $3} /^Failed requests:/ {f = $3}
       /^Non-2xx responses:/ {f += $3} /^Time taken for tests:/ {t = $5}
       END {print (r == "" ? "NA" : r), (c == "" ? 0 : c), (f == "" ? 0 : f), (t == "" ? "NA" : t)}' "$3"
}
wrk_run() { # wrk_run URL OUTFILE -> "rps requests"
  if [ $HAVE_WRK = 0 ] || [ "$WRK_D" = 0 ]; then echo "NA 0"; return; fi
  timeout --foreground -k 5 $((WRK_D + 60)) wrk -t1 -c"$AB_C" -d"${WRK_D}s" --timeout 10s "$1" >"$2" 2>&1
  awk '/^Requests\/sec:/ {r = $2} / requests in / {n = $1}
       END {print (r == "" ? "NA" : r), (n == "" ? 0 : n)}' "$2"
}

# nginx_run CONFIG TAG: one nginx instance under CONFIG serving the three loads.
# Sets NGX_RES=(ab_rps big_rps wrk_rps lost out_bytes requests how). Runs in the main shell
# (not in $(...)) so that the processes it starts are known to the cleanup trap.
# CONFIG is base, a tool, an rp backend (attached with -p to the running nginx when rp offers
# that for the backend, else recording nginx from its start) or BACKEND-start (always from
# its start: the replayable recording).
declare -A NGX_ATTACH=()   # backend -> 1 while "rp record -p" works for it
nginx_run() {
  local c=$1 tag=$2 d=$W/ng-$2 lp xp="" how=start art
  local attach=0 backend=$1
  case "$c" in
    *-start) backend=${c%-start} ;;
    bpf|kmod) [ "${NGX_ATTACH[$c]:-0}" = 1 ] && attach=1 ;;
  esac
  NGX_RES=(NA NA NA NA NA 0 failed)
  mkdir -p "$d"
  art=$d/trace
  pick_port || { log "no free port"; return; }
  nginx_conf "$d" "$PORT"
  local ng=("$NGINX" -c "$d/nginx.conf" -p "$d/")
  cd "$d" || return
  if [ $attach = 1 ]; then
    how=attach
    "${ng[@]}" >"$art.out" 2>"$art.err" &
    lp=$!
    PIDS+=("$lp")
    if wait_listen "$PORT" "$lp" 30; then
      "$RP" record -q -b "$backend" -o "$art.db" -p "$lp" >"$art.rp.out" 2>"$art.rp.err" &
      xp=$!
      PIDS+=("$xp")
      sleep 1.5   # let the BPF programs attach
      if ! kill -0 "$xp" 2>/dev/null; then
        log "rp record -b $backend -p failed ($(first_err "$art.rp.err")); recording nginx from its start instead"
        NGX_ATTACH[$backend]=0
        stop_nginx "$d" "$lp" "$xp"
        cd "$W" && rm -rf "$d"
        nginx_run "$c" "$tag"
        return
      fi
    fi
  else
    traced_argv "$backend" "$art" "${ng[@]}"
    "${TARGV[@]}" >"$art.out" 2>"$art.err" &
    lp=$!
    PIDS+=("$lp")
  fi
  cd "$W" || return
  if ! wait_listen "$PORT" "$lp" 60; then
    log "nginx under $c did not start: $(first_err "$art.err") $(first_err "$d/error.log")"
    stop_nginx "$d" "$lp" "$xp"
    return
  fi
  local a b w
  read -ra a < <(ab_run "http://127.0.0.1:$PORT/" "$AB_N" "$d/ab.out")
  read -ra b < <(ab_run "http://127.0.0.1:$PORT/100k.bin" "$AB_BIG_N" "$d/ab-big.out")
  read -ra w < <(wrk_run "http://127.0.0.1:$PORT/" "$d/wrk.out")
  stop_nginx "$d" "$lp" "$xp"
  local reqs=$((a[1] + b[1] + w[1])) lost bytes
  [ "${a[2]}" != 0 ] && log "$c/$tag: ab reported ${a[2]} failed requests"
  lost=$(lost_of "$backend" "$art")
  bytes=$(fsize "$(out_file "$backend" "$art")")
  [ "$c" = base ] && bytes=0
  NGX_RES=("${a[0]}" "${b[0]}" "${w[0]}" "${lost:-NA}" "$bytes" "$reqs" "$how")
  [ $KEEP = 1 ] || rm -f "$art".* 2>/dev/null
}

exp_nginx() {
  local dl r c base x f=$W/data/nginx.tsv
  dl=$(until_ "$B_NGINX")
  : >"$f"
  local run_cfgs=()
  for c in "${ALL_CONFIGS[@]}"; do avail "$c" && run_cfgs+=("$c"); done
  if [ $RP_HAS_P = 1 ]; then
    # kernel backends attach to the running nginx; measure their replayable
    # from-the-start recording as well
    for c in bpf kmod; do
      if avail "$c"; then
        NGX_ATTACH[$c]=1
        run_cfgs+=("$c-start")
      fi
    done
  fi
  for ((r = 1; r <= ROUNDS; r++)); do
    for c in "${run_cfgs[@]}"; do
      if ((EPOCHSECONDS >= dl)); then log "nginx: time budget used up after round $((r - 1))"; break 2; fi
      nginx_run base "r$r-$c-base"
      base=("${NGX_RES[@]}")
      nginx_run "$c" "r$r-$c"
      x=("${NGX_RES[@]}")
      log "nginx round $r: base ${base[0]} req/s, $c ${x[0]} req/s (lost ${x[3]}, ${x[6]})"
      # round config base_ab x_ab base_big x_big base_wrk x_wrk lost bytes reqs how
      echo "$r $c ${base[0]} ${x[0]} ${base[1]} ${x[1]} ${base[2]} ${x[2]} ${x[3]} ${x[4]} ${x[5]} ${x[6]}" >>"$f"
    done
  done
  report_nginx "$f"
}

col() { awk -v c="$1" -v k="$2" '$2 == c {print $k}' "$3"; }
ovh() { # median over pairs of (1 - x/base)*100, columns BASECOL XCOL
  awk -v c="$1" -v bc="$2" -v xc="$3" '$2 == c && $bc + 0 > 0 && $xc ~ /^[0-9.]+$/ {
    print (1 - $xc / $bc) * 100 }' "$4" | median
}
report_nginx() {
  local f=$1 c s how
  table "## nginx: requests/s under each tracer" ""
  table "One nginx 1.22 process (master_process off, 1 worker, access_log off) on 127.0.0.1; loads: \`ab -n $AB_N -c $AB_C\` on the 615-byte default page, \`ab -n $AB_BIG_N -c $AB_C\` on a 100 KB file, $([ "$WRK_D" = 0 ] && echo "no wrk (skipped with --quick)," || echo "\`wrk -t1 -c$AB_C -d${WRK_D}s\` on the default page,") one after the other against the same instance. Each traced run is paired with a base run just before it; overhead = median over pairs of (1 − traced/base). Lost = per run, median (max). Output = the tool's output file (trace) per request served. $ROUNDS rounds requested." ""
  table "| config | how | pairs | ab req/s median (min–max) | overhead % | 100 KB req/s | overhead % | wrk req/s | overhead % | lost/run | output bytes/request |" \
        "|---|---|---|---|---|---|---|---|---|---|---|"
  read -ra s < <(awk '{print $3}' "$f" | stats)
  local sb sw
  sb=$(awk '{print $5}' "$f" | median)
  sw=$(awk '{print $7}' "$f" | median)
  table "| base | nginx alone | ${s[3]} runs | $(fmt %.0f "${s[0]}") ($(fmt %.0f "${s[1]}")–$(fmt %.0f "${s[2]}")) | 0 | $(fmt %.0f "$sb") | 0 | $(fmt %.0f "$sw") | 0 | 0 | 0 |"
  result nginx base "${s[0]}" req/s "no successful base run"
  result nginx-100k base "$sb" req/s "no successful base run"
  WRK_WHY="no successful wrk run"
  [ "$HAVE_WRK" = 0 ] && WRK_WHY="wrk is not installed"
  [ "$WRK_D" = 0 ] && WRK_WHY="wrk is skipped with --quick"
  result nginx-wrk base "$sw" req/s "$WRK_WHY"
  local extra
  extra=$(awk '$2 ~ /-start$/ {print $2}' "$f" | sort -u)
  for c in "${ALL_CONFIGS[@]}" $extra; do
    local ex=nginx rc=$c
    case "$c" in *-start) ex=nginx-from-start rc=${c%-start} ;; esac
    if ! avail "$rc"; then
      table "| $c | NA: ${NA_REASON[$c]} | 0 | NA | NA | NA | NA | NA | NA | NA | NA |"
      local u
      for u in req/s overhead% lost; do result nginx "$c" NA "$u" "${NA_REASON[$c]}"; done
      [ "$c" = bpf ] || [ "$c" = ptrace ] || [ "$c" = kmod ] && result nginx "$c" NA bytes/request "${NA_REASON[$c]}"
      continue
    fi
    read -ra s < <(col "$c" 4 "$f" | stats)
    local o ob ow l lmax bpr xb xw
    o=$(ovh "$c" 3 4 "$f")
    xb=$(col "$c" 6 "$f" | median); ob=$(ovh "$c" 5 6 "$f")
    xw=$(col "$c" 8 "$f" | median); ow=$(ovh "$c" 7 8 "$f")
    l=$(col "$c" 9 "$f" | median)
    lmax=$(col "$c" 9 "$f" | stats | awk '{print $3}')
    bpr=$(awk -v c="$c" '$2 == c && $11 > 0 && $10 ~ /^[0-9]+$/ {print $10 / $11}' "$f" | median)
    how=$(col "$c" 12 "$f" | sort -u | tr '\n' ' ')
    how=${how% }
    case "$c" in
      bpf|ptrace|kmod|*-start)
        case "$how" in
          attach) how="rp record --backend=$rc -p PID (attached to the running nginx; inspect-only trace)" ;;
          start) how="rp record --backend=$rc -- nginx (from its start; replayable trace)" ;;
          *) how="rp record --backend=$rc ($how)" ;;
        esac ;;
      count) how="rp_bench_count -- nginx (tests/bench/count.bpf.c: counts syscalls per number on rp's hooks; the floor)" ;;
      strace) how="strace -f -o FILE nginx" ;;
      perf) how="perf trace -m $PERF_MMAP -o FILE -- nginx" ;;
      bpftrace) how="bpftrace printf on every sys_exit of the nginx pid → file" ;;
    esac
    table "| $c | $how | ${s[3]} | $(fmt %.0f "${s[0]}") ($(fmt %.0f "${s[1]}")–$(fmt %.0f "${s[2]}")) | $(fmt %.1f "$o") | $(fmt %.0f "$xb") | $(fmt %.1f "$ob") | $(fmt %.0f "$xw") | $(fmt %.1f "$ow") | $(fmt %.0f "$l") ($(fmt %.0f "$lmax")) | $(fmt %.0f "$bpr") |"
    local p=""
    [ "$ex" = nginx-from-start ] && p=-from-start
    NGX_OVH[$c]=$o
    result "nginx$p" "$rc" "${s[0]}" req/s "no successful run"
    result "nginx$p" "$rc" "$o" overhead% "no successful pair"
    result "nginx$p" "$rc" "$l" lost "no successful run"
    case "$rc" in bpf|ptrace|kmod) result "nginx$p" "$rc" "$bpr" bytes/request "no successful run" ;; esac
    result "nginx-100k$p" "$rc" "$ob" overhead% "no successful pair"
    result "nginx-wrk$p" "$rc" "$ow" overhead% "$WRK_WHY"
  done
  table ""
  report_vs_count
}
# rp's throughput as % of the counting floor's, each relative to its paired base runs:
# (1 - overhead_rp) / (1 - overhead_count) with the medians above.
declare -A NGX_OVH=()
report_vs_count() {
  local c ex v oc=${NGX_OVH[count]:-NA}
  for c in bpf kmod bpf-start kmod-start; do
    [ -n "${NGX_OVH[$c]+set}" ] || continue   # not available, or not run
    ex=nginx
    [[ "$c" == *-start ]] && ex=nginx-from-start
    v=NA
    isnum "$oc" && isnum "${NGX_OVH[$c]:-}" && v=$(calc "(100 - ${NGX_OVH[$c]}) / (100 - $oc) * 100")
    result "$ex" "${c%-start}" "$v" vs-count% "count or ${c} has no overhead (not run, failed, or out of time)"
    isnum "$v" && table "$ex ${c%-start}: throughput $(fmt %.1f "$v") % of the counting floor's (goal ≥ 90)." ""
  done
}

# ================================================================ micro benchmarks
# micro EXP BUDGET-S N CMD...: CMD ends with the count N; it is also run with count 0 to
# measure each tool's fixed start-up cost.
micro() {
  local exp=$1 budget=$2 n=$3 rep c tn tc tn0 tc0 lost bytes
  shift 3
  local cmd=("$@") cmd0=("$@")
  cmd0[$((${#cmd0[@]} - 1))]=0
  local f=$W/data/$exp.tsv dl
  dl=$(until_ "$budget")
  : >"$f"
  for ((rep = 1; rep <= MICRO_REPS; rep++)); do
    for c in "${ALL_CONFIGS[@]}"; do
      avail "$c" || continue
      if ((EPOCHSECONDS >= dl)); then log "$exp: time budget used up"; break 2; fi
      local art=$W/$exp-$c-$rep
      tn=NA tc=NA tn0=NA tc0=NA
      timed_min "${cmd[@]}" >/dev/null 2>&1 && tn=$ELAPSED_US
      traced_argv "$c" "$art" "${cmd[@]}"
      if timed "${TARGV[@]}" >"$art.out" 2>"$art.err"; then
        tc=$ELAPSED_US
      else
        log "$exp under $c failed: $(first_err "$art.err")"
      fi
      lost=$(lost_of "$c" "$art")
      bytes=$(fsize "$(out_file "$c" "$art")")
      case "$c" in bpf|ptrace|kmod) [ -f "$art.db" ] && [ "$tc" != NA ] && mv "$art.db" "$W/keep/$exp-$c.db" ;; esac
      rm -f "$art".* 2>/dev/null
      timed_min "${cmd0[@]}" >/dev/null 2>&1 && tn0=$ELAPSED_US
      traced_argv "$c" "$art-0" "${cmd0[@]}"
      timed "${TARGV[@]}" >/dev/null 2>&1 && tc0=$ELAPSED_US
      rm -f "$art-0".* 2>/dev/null
      echo "$rep $c $tn $tc $tn0 $tc0 ${lost:-NA} $bytes" >>"$f"
      log "$exp $c rep $rep: native ${tn} us, traced ${tc} us (start-up ${tc0} us), lost ${lost:-NA}"
    done
  done
  report_micro "$exp" "$n" "$f"
}

report_micro() {
  local exp=$1 n=$2 f=$3 c
  local what
  case "$exp" in
    micro-getppid) what="\`sample_getppid_loop $n\`: $n raw getppid syscalls" ;;
    *) what="\`sample_read64k FILE $n\`: $n preads of 64 KiB from a 64 MiB file (base64 text, page-cached); the native time includes an FNV hash of every byte read" ;;
  esac
  table "## $exp: time added per syscall" ""
  table "$what. Wall time of the whole command; ns added per syscall = ((t_config(N) − t_config(0)) − (t_native(N) − t_native(0))) / N, i.e. with each tool's fixed start-up cost (the same command with count 0) taken out; the uncorrected (t_config − t_native)/N is shown too. Median over $MICRO_REPS repetition(s); each traced run is paired with native runs just before it (the fastest of 3, since short native runs are easily disturbed by other load on the 2 CPUs)." ""
  table "| config | reps | native ms | traced ms | ns added/syscall | uncorrected ns/syscall | tool start-up ms | lost | output bytes |" \
        "|---|---|---|---|---|---|---|---|---|"
  local nat
  nat=$(awk '{print $3}' "$f" | median)
  table "| base (native) | $(awk '{print $3}' "$f" | stats | awk '{print $4}') | $(fmt %.1f "$(calc_div "$nat" 1000)") | — | 0 | 0 | — | 0 | 0 |"
  result "$exp" base 0 ns/syscall
  for c in "${ALL_CONFIGS[@]}"; do
    if ! avail "$c"; then
      table "| $c | 0 | NA | NA | NA | NA | NA | NA | NA: ${NA_REASON[$c]} |"
      result "$exp" "$c" NA ns/syscall "${NA_REASON[$c]}"
      continue
    fi
    local reps tn tc add raw st lost bytes
    reps=$(awk -v c="$c" '$2 == c && $4 != "NA" && $3 != "NA"' "$f" | wc -l)
    tn=$(awk -v c="$c" '$2 == c {print $3}' "$f" | median)
    tc=$(awk -v c="$c" '$2 == c {print $4}' "$f" | median)
    add=$(awk -v c="$c" -v n="$n" '$2 == c && $3 $4 $5 $6 !~ /NA/ {print (($4 - $6) - ($3 - $5)) * 1000 / n}' "$f" | median)
    raw=$(awk -v c="$c" -v n="$n" '$2 == c && $3 $4 !~ /NA/ {print ($4 - $3) * 1000 / n}' "$f" | median)
    st=$(awk -v c="$c" '$2 == c && $5 $6 !~ /NA/ {print ($6 - $5) / 1000}' "$f" | median)
    lost=$(awk -v c="$c" '$2 == c {print $7}' "$f" | median)
    bytes=$(awk -v c="$c" '$2 == c {print $8}' "$f" | median)
    table "| $c | $reps | $(fmt %.1f "$(calc_div "$tn" 1000)") | $(fmt %.1f "$(calc_div "$tc" 1000)") | $(fmt %.0f "$add") | $(fmt %.0f "$raw") | $(fmt %.1f "$st") | $(fmt %.0f "$lost") | $(fmt %.0f "$bytes") |"
    result "$exp" "$c" "$add" ns/syscall "no result: the runs failed or were skipped for the time budget (see the log)"
    result "$exp" "$c" "$lost" lost "no result: the runs failed or were skipped for the time budget"
    ADDED[$c]=$add
  done
  table ""
  report_bpf_speedup "$exp"
}
# The point of a kernel backend: a syscall costs far less than with ptrace
# (two stops per syscall). Once a timed test (tests/bpf/speed.sh, "bpf at least
# 3x faster"); a measurement, so it lives here: a row and a RESULT line.
report_bpf_speedup() { # EXP (after report_micro filled ADDED)
  local x verdict
  x=NA
  isnum "${ADDED[ptrace]:-}" && isnum "${ADDED[bpf]:-}" &&
    x=$(awk -v p="${ADDED[ptrace]}" -v b="${ADDED[bpf]}" 'BEGIN { if (b > 0) printf "%.3g", p / b; else print "NA" }')
  verdict=NA
  isnum "$x" && verdict=$(awk -v x="$x" 'BEGIN { print (x >= 3 ? "yes" : "no") }')
  table "$1: ptrace adds $(fmt %.1f "$x")× the time per syscall bpf adds (bpf at least 3× faster: $verdict)." ""
  result "$1" bpf-vs-ptrace "$x" x "no result: bpf or ptrace has no ns/syscall"
}
declare -A ADDED
calc_div() { if isnum "${1:-}" && isnum "${2:-}"; then calc "$1 / $2"; else echo NA; fi; }

# ================================================================ replay
replay_micro() { # replay_micro EXP NATIVE-CMD...
  local exp=$1 c rep
  shift
  local f=$W/data/replay-$exp.tsv
  : >"$f"
  for c in "${RP_CONFIGS[@]}"; do
    avail "$c" || continue
    local t=$W/keep/$exp-$c.db
    [ -f "$t" ] || { echo "NOTRACE $c" >>"$f"; continue; }
    # (the trace was just written, so it is in the page cache)
    for ((rep = 1; rep <= MICRO_REPS; rep++)); do
      if ((EPOCHSECONDS >= REPLAY_DL)) && ((rep > 1 || EPOCHSECONDS >= T_END)); then
        log "replay: time budget used up"
        break
      fi
      local tn=NA tr=NA
      timed_min "$@" >/dev/null 2>&1 && tn=$ELAPSED_US
      if ! timed "$RP" replay -q "$t" >/dev/null 2>"$W/replay.err"; then
        echo "FAIL $c replay exits $?: $(first_err "$W/replay.err")" >>"$f"
        log "replay of $exp ($c) failed: $(first_err "$W/replay.err")"
        break
      fi
      tr=$ELAPSED_US
      echo "$rep $c $tn $tr" >>"$f"
      log "replay $exp $c: native $tn us, replay $tr us"
    done
  done
}
report_replay_micro() {
  table "## replay-micro: replay time vs native" ""
  table "\`rp replay -q TRACE\` of the traces recorded in the micro benchmarks, timed as a whole command, divided by the native time measured just before it (fastest of 3 runs). Record/native is the traced/native time of the micro benchmark." ""
  table "| workload | backend | reps | native ms | record ms | replay ms | record × native | replay × native | note |" \
        "|---|---|---|---|---|---|---|---|---|"
  local exp c name
  for exp in micro-getppid micro-read64k; do
    local f=$W/data/replay-$exp.tsv
    name=replay-micro
    [ "$exp" = micro-read64k ] && name=replay-micro-read64k
    for c in "${RP_CONFIGS[@]}"; do
      if ! avail "$c"; then
        table "| $exp | $c | 0 | NA | NA | NA | NA | NA | ${NA_REASON[$c]} |"
        result "$name" "$c" NA x-native "${NA_REASON[$c]}"
        continue
      fi
      local why
      why=$(awk -v c="$c" '$1 == "FAIL" && $2 == c {$1 = ""; $2 = ""; print; exit}' "$f" 2>/dev/null)
      [ -n "$why" ] && why="replay failed: $why"
      if grep -q "^NOTRACE $c" "$f" 2>/dev/null; then
        # --only replay without micro: there was no recording to replay.
        if want micro; then why="recording failed, nothing to replay"; else why="not run: add micro to --only"; fi
      fi
      local tn tr rec ratio rr
      tn=$(awk -v c="$c" '$2 == c && $1 ~ /^[0-9]+$/ {print $3}' "$f" | median)
      tr=$(awk -v c="$c" '$2 == c && $1 ~ /^[0-9]+$/ {print $4}' "$f" | median)
      ratio=$(awk -v c="$c" '$2 == c && $1 ~ /^[0-9]+$/ && $3 > 0 {print $4 / $3}' "$f" | median)
      rec=$(awk -v c="$c" '$2 == c && $4 != "NA" {print $4}' "$W/data/$exp.tsv" | median)
      rr=$(awk -v c="$c" '$2 == c && $4 != "NA" && $3 > 0 {print $4 / $3}' "$W/data/$exp.tsv" | median)
      table "| $exp | $c | $(awk -v c="$c" '$2 == c && $1 ~ /^[0-9]+$/' "$f" | wc -l) | $(fmt %.1f "$(calc_div "$tn" 1000)") | $(fmt %.1f "$(calc_div "$rec" 1000)") | $(fmt %.1f "$(calc_div "$tr" 1000)") | $(fmt %.1f "$rr") | $(fmt %.1f "$ratio") | ${why:-replay ok} |"
      result "$name" "$c" "$ratio" x-native "${why:-replay failed}"
    done
  done
  table ""
}

# replay-async-point: samples whose signals land in user code inside loops (alarm_loop: a
# long loop body; tight_loop: a 4-instruction loop run millions of times). Replay must find
# each recorded point (instruction + registers) again; the time is replay / record of the same
# trace (issue 15: at most 2x), with the number of points in the trace.
exp_replay_async_points() {
  table "## replay-async-point: replay time vs record time, signals in user code" ""
  table "\`rp record -q -b C SAMPLE\`, then \`rp replay -q\` of that trace, each timed as a whole command (one run each)." ""
  table "| sample | backend | points | record ms | replay ms | replay × record | note |" "|---|---|---|---|---|---|---|"
  local sample c db tr tp n ratio why
  for sample in tight_loop alarm_loop; do
    for c in ptrace bpf; do
      why=""
      if ! avail "$c"; then
        why=${NA_REASON[$c]}
      else
        db=$W/keep/async-$sample-$c.db
        if ! timed "$RP" record -q -b "$c" -o "$db" -- "$S/sample_$sample" >/dev/null 2>"$W/async.err"; then
          why="record failed: $(first_err "$W/async.err")"
        else
          tr=$ELAPSED_US
          n=$("$RP" dump "$db" 2>/dev/null | grep -c 'in user code')
          if ! timed "$RP" replay -q "$db" >/dev/null 2>"$W/async.err"; then
            why="replay failed: $(first_err "$W/async.err")"
          else
            tp=$ELAPSED_US
            ratio=$(calc_div "$tp" "$tr")
            log "replay-async-point $sample $c: $n points, record $tr us, replay $tp us"
          fi
        fi
      fi
      if [ -n "$why" ]; then
        table "| $sample | $c | NA | NA | NA | NA | $why |"
        result "replay-async-point-$sample" "$c" NA x-record "$why"
      else
        table "| $sample | $c | $n | $(fmt %.1f "$(calc_div "$tr" 1000)") | $(fmt %.1f "$(calc_div "$tp" 1000)") | $(fmt %.2f "$ratio") | replay ok |"
        result "replay-async-point-$sample" "$c" "$ratio" x-record
      fi
    done
  done
  table ""
}

# replay-nginx: record nginx from its start serving REPLAY_NGINX_N ab requests, then replay
# the trace offline.
exp_replay_nginx() {
  local c f=$W/data/replay-nginx.tsv
  : >"$f"
  for c in "${RP_CONFIGS[@]}"; do
    avail "$c" || continue
    if ((EPOCHSECONDS >= T_END)); then echo "FAIL $c not run: time budget used up" >>"$f"; continue; fi
    local d=$W/ng-replay-$c art
    mkdir -p "$d"
    art=$d/trace
    pick_port || { echo "FAIL $c no free port" >>"$f"; continue; }
    nginx_conf "$d" "$PORT"
    local s e lp a
    s=$(now_us)
    cd "$d" || continue
    "$RP" record -q -b "$c" -o "$art.db" -- "$NGINX" -c "$d/nginx.conf" -p "$d/" >"$art.out" 2>"$art.err" &
    lp=$!
    PIDS+=("$lp")
    cd "$W" || return
    if ! wait_listen "$PORT" "$lp" 60; then
      stop_nginx "$d" "$lp"
      echo "FAIL $c nginx did not start under rp: $(first_err "$art.err")" >>"$f"
      continue
    fi
    read -ra a < <(ab_run "http://127.0.0.1:$PORT/" "$REPLAY_NGINX_N" "$d/ab.out")
    stop_nginx "$d" "$lp"
    e=$(now_us)
    local wall=$((e - s)) tr=NA why="" events dur
    events=$(rp_info "$art.db" events)
    dur=$(q "$art.db" "select value from meta where key = 'duration_ms'")
    # Replay offline: nothing listens on the port any more.
    cd "$d" || continue
    if timed "$RP" replay -q "$art.db" >/dev/null 2>"$d/replay.err"; then
      tr=$ELAPSED_US
    else
      why="replay failed (exit $?): $(first_err "$d/replay.err")"
    fi
    cd "$W" || return
    log "replay-nginx $c: recorded wall $wall us, ab ${a[3]} s, replay $tr us ${why}"
    cp "$art.db" "$W/keep/nginx-$c.db" 2>/dev/null
    echo "OK $c ${a[1]} $wall ${a[3]} ${dur:-NA} ${events:-NA} $tr ${a[0]} $why" >>"$f"
  done
  table "## replay-nginx: replaying a recorded nginx run offline" ""
  table "nginx is recorded from its start (\`rp record -- nginx …\`, master_process off) while \`ab -n $REPLAY_NGINX_N -c $AB_C\` fetches the default page; then nginx is told to quit. Recorded wall = from launching \`rp record\` to its exit (start-up, the ab run, shutdown); rp duration = rp's own figure. The trace is then replayed with \`rp replay -q\` with nothing listening: every syscall result comes from the trace, so the replay does not wait for the network or the load generator. Ratio = replay time / recorded wall time." ""
  table "| backend | requests | req/s while recording | recorded wall s | ab time s | rp duration ms | events | replay s | replay / recorded | note |" \
        "|---|---|---|---|---|---|---|---|---|---|"
  for c in "${RP_CONFIGS[@]}"; do
    if ! avail "$c"; then
      table "| $c | NA | NA | NA | NA | NA | NA | NA | NA | ${NA_REASON[$c]} |"
      result replay-nginx "$c" NA x-native "${NA_REASON[$c]}"
      continue
    fi
    local line
    line=$(grep -E "^(OK|FAIL) $c " "$f" | head -1)
    if [[ "$line" == FAIL* ]]; then
      table "| $c | NA | NA | NA | NA | NA | NA | NA | NA | ${line#FAIL $c } |"
      result replay-nginx "$c" NA x-native "${line#FAIL $c }"
      continue
    fi
    local v ratio note
    read -ra v <<<"$line"
    note=$(echo "$line" | cut -d' ' -f10-)
    ratio=$(isnum "${v[7]}" && calc "${v[7]} / ${v[3]}" || echo NA)
    table "| $c | ${v[2]} | $(fmt %.0f "${v[8]}") | $(fmt %.2f "$(calc_div "${v[3]}" 1000000)") | ${v[4]} | ${v[5]} | ${v[6]} | $(fmt %.2f "$(calc_div "${v[7]}" 1000000)") | $(fmt %.2f "$ratio") | ${note:-replay ok} |"
    result replay-nginx "$c" "$ratio" x-native "${note:-replay failed}"
  done
  table ""
}

# ================================================================ trace size
q() { sqlite3 -batch -noheader "$1" "$2" 2>/dev/null | head -1; }
# Bytes of syscall data in a trace (memory records), not counting the file contents rp keeps
# for mmap'd files (those memory records point at blobs that the mappings table uses too).
SQL_DATA="select coalesce(sum(size),0) from mem where blob is null or blob not in (select blob from mappings where blob is not null)"
SQL_MAPPED="select coalesce(sum(size),0) from blobs where id in (select blob from mappings)"
exp_trace_size() {
  table "## trace-size: what a trace costs" ""
  table "File = trace file size; events = \`rp info\`. Syscall data = memory records (buffers the kernel wrote or read: \`sum(size) from mem\`) other than mmap'd file contents, counted at their logical size before deduplication; mapped files = raw size of the file contents rp keeps for mmap'd files (the program's libraries, recorded once per trace); raw = syscall data + mapped files. Stored: rp deduplicates buffers by content and zstd-compresses large ones (blobs raw → stored)." ""
  table "| trace | backend | file bytes | events | bytes/event | syscall data bytes | file / syscall data | mapped-file bytes | raw bytes | file / raw | blobs raw → stored |" \
        "|---|---|---|---|---|---|---|---|---|---|---|"
  local w c name
  for w in nginx micro-getppid micro-read64k; do
    case "$w" in nginx) name=trace-size ;; micro-getppid) name=trace-size-getppid ;; *) name=trace-size-read64k ;; esac
    for c in "${RP_CONFIGS[@]}"; do
      local t=$W/keep/$w-$c.db
      if ! avail "$c" || [ ! -f "$t" ]; then
        local why=${NA_REASON[$c]:-no trace was recorded}
        table "| $w | $c | NA | NA | NA | NA | NA | NA | NA | NA | $why |"
        result "$name" "$c" NA bytes/event "$why"
        continue
      fi
      local size ev data map braw bst bpe raw=NA
      size=$(fsize "$t")
      ev=$(rp_info "$t" events)
      data=$(q "$t" "$SQL_DATA")
      map=$(q "$t" "$SQL_MAPPED")
      braw=$(q "$t" "select coalesce(sum(size),0) from blobs")
      bst=$(q "$t" "select coalesce(sum(length(data)),0) from blobs")
      bpe=$(calc_div "$size" "$ev")
      isnum "$data" && isnum "$map" && raw=$((data + map))
      table "| $w | $c | $size | ${ev:-NA} | $(fmt %.1f "$bpe") | ${data:-NA} | $(fmt %.3g "$(calc_div "$size" "$data")") | ${map:-NA} | $raw | $(fmt %.3f "$(calc_div "$size" "$raw")") | ${braw:-NA} → ${bst:-NA} ($(fmt %.2f "$(calc_div "$bst" "$braw")")) |"
      result "$name" "$c" "$bpe" bytes/event "trace unreadable"
    done
  done
  table ""
}

# ================================================================ scaling
exp_scaling() {
  local dl c t f=$W/data/scaling.tsv
  dl=$(until_ "$B_SCALING")
  : >"$f"
  local cfgs=()
  for c in "${RP_CONFIGS[@]}"; do avail "$c" && cfgs+=("$c"); done
  local reps=$MICRO_REPS
  [ $QUICK = 0 ] && reps=2
  local rep
  for t in 1 2 4 8; do
    for ((rep = 1; rep <= reps; rep++)); do
      for c in "${cfgs[@]}"; do
        if ((EPOCHSECONDS >= dl)); then log "scaling: time budget used up"; break 3; fi
        local art=$W/sc-$c-t$t tn=NA tc=NA
        timed_min "$W/threads_getppid" "$t" "$THREAD_K" >/dev/null 2>&1 && tn=$ELAPSED_US
        traced_argv "$c" "$art" "$W/threads_getppid" "$t" "$THREAD_K"
        timed "${TARGV[@]}" >/dev/null 2>"$art.err" && tc=$ELAPSED_US
        local ev size lost tn0=NA tc0=NA
        ev=$(rp_info "$art.db" events); size=$(fsize "$art.db"); lost=$(lost_of "$c" "$art")
        # the same threads making no calls: rp's fixed start-up cost
        timed_min "$W/threads_getppid" "$t" 0 >/dev/null 2>&1 && tn0=$ELAPSED_US
        traced_argv "$c" "$art-0" "$W/threads_getppid" "$t" 0
        timed "${TARGV[@]}" >/dev/null 2>&1 && tc0=$ELAPSED_US
        rm -f "$art-0".*
        echo "threads $t $c $tn $tc ${ev:-NA} $size ${lost:-NA} $((t * THREAD_K)) $rep NA $tn0 $tc0" >>"$f"
        log "scaling threads=$t $c: native $tn us, traced $tc us"
        rm -f "$art".*
      done
    done
  done
  local sz n
  for sz in 64 1024 16384 65536 1048576; do
    n=$((RS_BYTES / sz))
    ((n > RS_CAP)) && n=$RS_CAP
    for ((rep = 1; rep <= reps; rep++)); do
      for c in "${cfgs[@]}"; do
        if ((EPOCHSECONDS >= dl)); then log "scaling: time budget used up"; break 3; fi
        local art=$W/sc-$c-r$sz tn=NA tc=NA
        timed_min "$W/readsize" "$BIGFILE" "$sz" "$n" >/dev/null 2>&1 && tn=$ELAPSED_US
        traced_argv "$c" "$art" "$W/readsize" "$BIGFILE" "$sz" "$n"
        timed "${TARGV[@]}" >/dev/null 2>"$art.err" && tc=$ELAPSED_US
        local ev size lost cap
        ev=$(rp_info "$art.db" events); size=$(fsize "$art.db"); lost=$(lost_of "$c" "$art")
        cap=$(q "$art.db" "$SQL_DATA")
        local tn0=NA tc0=NA
        timed_min "$W/readsize" "$BIGFILE" "$sz" 0 >/dev/null 2>&1 && tn0=$ELAPSED_US
        traced_argv "$c" "$art-0" "$W/readsize" "$BIGFILE" "$sz" 0
        timed "${TARGV[@]}" >/dev/null 2>&1 && tc0=$ELAPSED_US
        rm -f "$art-0".*
        echo "read $sz $c $tn $tc ${ev:-NA} $size ${lost:-NA} $n $rep ${cap:-NA} $tn0 $tc0" >>"$f"
        log "scaling read=$sz x $n $c: native $tn us, traced $tc us"
        rm -f "$art".*
      done
    done
  done

  table "## scaling-threads: recording cost vs number of threads" ""
  table "\`threads_getppid T $THREAD_K\` (tests/bench/threads_getppid.c): T threads, each making $THREAD_K raw getppid calls, on 2 cores. Native time = fastest of 3 runs just before the recorded one. Overhead % = (t_record / t_native − 1) × 100 for the whole command, rp's start-up included; rp start-up = t_record − t_native of the same T threads making 0 calls; ns added per syscall = ((t_record − t_record(0)) − (t_native − t_native(0))) / (T × $THREAD_K), i.e. without the start-up; medians over the paired repetitions." ""
  table "| threads | backend | syscalls | native ms | record ms | overhead % | rp start-up ms | ns added/syscall | events | trace bytes | bytes/event | lost |" \
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for t in 1 2 4 8; do
    for c in "${RP_CONFIGS[@]}"; do
      if ! avail "$c"; then
        table "| $t | $c | NA | NA | NA | NA | NA | NA | NA | NA | NA | ${NA_REASON[$c]} |"
        result "scaling-threads-$t" "$c" NA overhead% "${NA_REASON[$c]}"
        continue
      fi
      local sel="\$1 == \"threads\" && \$2 == $t && \$3 == \"$c\""
      local tn tc o add ev size lost calls bpe st
      tn=$(awk "$sel {print \$4}" "$f" | median)
      tc=$(awk "$sel {print \$5}" "$f" | median)
      o=$(awk "$sel && \$4 > 0 && \$5 ~ /^[0-9]+\$/ {print (\$5 / \$4 - 1) * 100}" "$f" | median)
      add=$(awk "$sel && \$4 \$5 \$12 \$13 !~ /NA/ {print ((\$5 - \$13) - (\$4 - \$12)) * 1000 / \$9}" "$f" | median)
      st=$(awk "$sel && \$12 \$13 !~ /NA/ {print (\$13 - \$12) / 1000}" "$f" | median)
      ev=$(awk "$sel {print \$6}" "$f" | median); size=$(awk "$sel {print \$7}" "$f" | median)
      lost=$(awk "$sel {print \$8}" "$f" | median)
      calls=$((t * THREAD_K))
      bpe=$(calc_div "$size" "$ev")
      table "| $t | $c | $calls | $(fmt %.1f "$(calc_div "$tn" 1000)") | $(fmt %.1f "$(calc_div "$tc" 1000)") | $(fmt %.0f "$o") | $(fmt %.0f "$st") | $(fmt %.0f "$add") | $(fmt %.0f "$ev") | $(fmt %.0f "$size") | $(fmt %.1f "$bpe") | $(fmt %.0f "$lost") |"
      result "scaling-threads-$t" "$c" "$o" overhead% "not measured (time budget or failure)"
      result "scaling-threads-$t" "$c" "$add" ns/syscall "not measured (time budget or failure)"
      result "scaling-threads-$t" "$c" "$bpe" bytes/event "not measured (time budget or failure)"
    done
  done
  table ""
  table "## scaling-read: recording cost vs read size" ""
  table "\`readsize FILE SIZE N\` (tests/bench/readsize.c): N preads of SIZE bytes at advancing offsets of a 64 MiB page-cached file of base64 text, N = min($RS_CAP, $((RS_BYTES >> 20)) MiB / SIZE); at the end of the file it restarts one byte further on, so no read returns data seen before. The program touches one byte in 64. Native time = fastest of 3 runs just before the recorded one; rp start-up = t_record − t_native of the same program making 0 reads; ns added per read = ((t_record − t_record(0)) − (t_native − t_native(0))) / N, i.e. without the start-up; record MB/s = captured bytes / (t_record − t_record(0)); captured = syscall data in the trace (memory records other than mmap'd file contents: mostly the bytes read). A trace also holds the program's libraries (~3.7 MB raw, ~1.9 MB stored), which dominates trace size for small reads." ""
  table "| read size | backend | reads | native ms | record ms | rp start-up ms | ns added/read | record MB/s captured | events | trace bytes | bytes/event | trace / captured | lost |" \
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for sz in 64 1024 16384 65536 1048576; do
    for c in "${RP_CONFIGS[@]}"; do
      if ! avail "$c"; then
        table "| $sz | $c | NA | NA | NA | NA | NA | NA | NA | NA | NA | NA | ${NA_REASON[$c]} |"
        result "scaling-read-$sz" "$c" NA ns/syscall "${NA_REASON[$c]}"
        continue
      fi
      local sel="\$1 == \"read\" && \$2 == $sz && \$3 == \"$c\""
      local tn tc add ev size lost n2 cap mbs bpe st
      n2=$(awk "$sel {print \$9; exit}" "$f")
      tn=$(awk "$sel {print \$4}" "$f" | median)
      tc=$(awk "$sel {print \$5}" "$f" | median)
      add=$(awk "$sel && \$4 \$5 \$12 \$13 !~ /NA/ {print ((\$5 - \$13) - (\$4 - \$12)) * 1000 / \$9}" "$f" | median)
      st=$(awk "$sel && \$12 \$13 !~ /NA/ {print (\$13 - \$12) / 1000}" "$f" | median)
      mbs=$(awk "$sel && \$5 \$13 \$11 !~ /NA/ && \$5 > \$13 {print \$11 / (\$5 - \$13)}" "$f" | median)
      ev=$(awk "$sel {print \$6}" "$f" | median); size=$(awk "$sel {print \$7}" "$f" | median)
      lost=$(awk "$sel {print \$8}" "$f" | median); cap=$(awk "$sel {print \$11}" "$f" | median)
      bpe=$(calc_div "$size" "$ev")
      table "| $sz | $c | ${n2:-NA} | $(fmt %.1f "$(calc_div "$tn" 1000)") | $(fmt %.1f "$(calc_div "$tc" 1000)") | $(fmt %.0f "$st") | $(fmt %.0f "$add") | $(fmt %.0f "$mbs") | $(fmt %.0f "$ev") | $(fmt %.0f "$size") | $(fmt %.1f "$bpe") | $(fmt %.3f "$(calc_div "$size" "$cap")") | $(fmt %.0f "$lost") |"
      result "scaling-read-$sz" "$c" "$add" ns/syscall "not measured (time budget or failure)"
      result "scaling-read-$sz" "$c" "$bpe" bytes/event "not measured (time budget or failure)"
    done
  done
  table ""
}

# ================================================================ main
cd "$W" || exit 1
ulimit -l unlimited 2>/dev/null || true   # bpftrace warns about RLIMIT_MEMLOCK otherwise
install_deps
build_rp
probe_configs
nginx_setup
BIGFILE=$W/data64m
head -c 50331648 /dev/urandom | base64 -w 76 | head -c 67108864 >"$BIGFILE"
cat "$BIGFILE" >/dev/null

T_END=$((EPOCHSECONDS + B_TOTAL))
log "mode $MODE; rp $("$RP" --version 2>&1); configs NA: $(for c in "${!NA_REASON[@]}"; do printf '%s ' "$c"; done)"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

want nginx && exp_nginx
if want micro; then
  micro micro-getppid "$B_GETPPID" "$MICRO_N" "$S/sample_getppid_loop" "$MICRO_N"
  micro micro-read64k "$B_READ64K" "$READ_N" "$S/sample_read64k" "$BIGFILE" "$READ_N"
fi
if want replay; then
  REPLAY_DL=$(until_ "$B_REPLAY")
  replay_micro micro-getppid "$S/sample_getppid_loop" "$MICRO_N"
  replay_micro micro-read64k "$S/sample_read64k" "$BIGFILE" "$READ_N"
  report_replay_micro
  exp_replay_nginx
  exp_replay_async_points
fi
want trace-size && exp_trace_size
want scaling && exp_scaling

LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$((EPOCHSECONDS - T0))
{
  echo "# rp benchmark ($MODE run)"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
  echo "| machine | $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), kernel $(uname -r); server, load generator and tracer share these CPUs |"
  echo "| rp | $("$RP" --version 2>&1 | head -1), git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes'), build $B |"
  echo "| tools | $(nginx -v 2>&1 | sed 's/.*: //'), ab $(ab -V 2>&1 | awk '/Version/ {print $5; exit}' | tr -d ,), $(if [ $HAVE_WRK = 1 ]; then { wrk --version 2>&1 || true; } | awk '{print $1, $2; exit}'; else echo 'wrk NA'; fi), $(strace -V 2>/dev/null | head -1), $(perf version 2>/dev/null), $(bpftrace --version 2>/dev/null) |"
  echo "| rp record -p (attach) | $([ $RP_HAS_P = 1 ] && echo 'offered by rp record --help' || echo 'not offered: rp records nginx from its start') |"
  echo "| load average | start $LOAD0, end $LOAD1 |"
  echo "| duration | ${ELAPSED} s |"
  echo
  cat "$TABLES"
  echo "## Machine-readable results"
  echo
  echo '```'
  cat "$RESULTS"
  echo '```'
} >"$W/out/all.md"
# Plain RESULT lines come last on stdout (the fenced copy above is for pasting into docs).
{ cat "$W/out/all.md"; echo; cat "$RESULTS"; } | { if [ -n "$OUT" ]; then tee "$OUT"; else cat; fi; }
log "done in ${ELAPSED} s"
