#!/bin/bash
# Not a test: measures the flight recorder's disk bound (issue 14,
# docs/performance.md "Flight recorder: disk"). The HTTP server recorded with
# `rp record --ring RING --save-on crash --backend=BACKEND`, loaded by ab for
# SECONDS (CONCURRENCY clients), then the crashing request; the trace file
# and its -journal are sampled every 50 ms meanwhile. Prints one line:
#   backend ring_bytes max_bytes max/ring max_journal_bytes requests snapshots dropped replay_status
# usage: RP=build/rp SAMPLES=build/samples ring_disk.sh BACKEND RING SECONDS [CONCURRENCY]
. "$(dirname "$0")/lib.sh"
[ $# -ge 3 ] || fail "usage: ring_disk.sh BACKEND RING SECONDS [CONCURRENCY]"
RING_BACKEND=$1
RING=$2
. "$(dirname "$0")/ring_lib.sh"

serve d
sample_size d &
BG_PIDS+=($!)
ab -q -t "$3" -n 100000000 -c "${4:-4}" "http://127.0.0.1:$PORT/key?name=abc" >"$TMP/ab.out" 2>&1
requests=$(sed -n 's/^Complete requests: *//p' "$TMP/ab.out")
crash d
wait
[ -f "$TMP/d.db" ] || { show "$TMP/d.rec.err"; fail "no trace kept after the crash"; }
ring_bytes=$(meta "$TMP/d.db" ring_bytes)
max=$(cat "$TMP/d.maxsize")
run "$TMP/d.rep" "$TMP/d.rep.err" "$RP" replay "$TMP/d.db"
echo "$RING_BACKEND $ring_bytes $max $(awk "BEGIN { printf \"%.2f\", $max / $ring_bytes }") $(cat "$TMP/d.maxjournal")" \
    "$requests $(meta "$TMP/d.db" ring_snapshots) $(meta "$TMP/d.db" ring_dropped_events) $STATUS"
