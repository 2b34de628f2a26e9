#!/bin/bash
# The snapshot pause (meta snapshot_pause_us) of two rp binaries, paired
# run by run (which goes first alternates), for docs/performance.md
# "Snapshot pause". Usage:
#   BASE=/path/to/old/rp NEW=build/rp SAMPLES=build/samples \
#     tests/bench/snapshot_pause.sh attach|ring|line [RUNS]
# attach: sample_cow_mutator 1024 0 running, `rp record -p` for 2 s each.
# ring:   `rp record --ring 256K -- sample_cow_mutator 1024 6`.
# line:   `rp record --ring 64K -- sample_line_server FIFO`, 3000 requests.
set -u
: "${BASE:?BASE: the rp to compare with}" "${NEW:?NEW: the rp measured}"
: "${SAMPLES:?SAMPLES: the built samples}"
CASE=${1:?attach, ring or line}
RUNS=${2:-3}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rp-pause.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
meta() { sqlite3 "$1" "select value from meta where key = '$2'"; }
report() {
    echo "$1 pause_us=$(meta "$2" snapshot_pause_us) read=$(meta "$2" snapshot_bytes_read)" \
         "stored=$(meta "$2" snapshot_bytes_stored) copy=$(meta "$2" snapshot_copy)" \
         "snapshots=$(meta "$2" ring_snapshots)"
}
one() { # RP NAME [PID]
    local db="$DIR/$2.db" r
    rm -f "$db"
    case $CASE in
    attach)
        "$1" record --backend=ptrace -p "$3" -o "$db" 2>"$DIR/$2.err" &
        r=$!
        for _ in $(seq 1 1200); do grep -q "attached to" "$DIR/$2.err" && break; sleep 0.1; done
        sleep 2
        kill -INT "$r"
        wait "$r" ;;
    ring)
        "$1" record --backend=ptrace --ring 256K --save-on exit -o "$db" -- \
            "$SAMPLES/sample_cow_mutator" 1024 6 >/dev/null 2>"$DIR/$2.err" ;;
    line)
        rm -f "$DIR/fifo"
        mkfifo "$DIR/fifo"
        "$1" record --backend=ptrace --ring 64K --save-on exit -o "$db" -- \
            "$SAMPLES/sample_line_server" "$DIR/fifo" >/dev/null 2>"$DIR/$2.err" &
        r=$!
        sleep 0.5
        { for k in $(seq 1 3000); do echo "set key$k value$k"; done; echo quit; } >"$DIR/fifo"
        wait "$r" ;;
    esac
    report "$2" "$db"
}
for i in $(seq 1 "$RUNS"); do
    pid=
    if [ "$CASE" = attach ]; then
        "$SAMPLES/sample_cow_mutator" 1024 0 >"$DIR/prog.out" 2>&1 &
        pid=$!
        for _ in $(seq 1 600); do grep -q '^round 2 ' "$DIR/prog.out" && break; sleep 0.1; done
    fi
    if [ $((i % 2)) = 1 ]; then one "$BASE" "base$i" $pid; one "$NEW" "new$i" $pid
    else one "$NEW" "new$i" $pid; one "$BASE" "base$i" $pid; fi
    [ -n "$pid" ] && { kill "$pid"; wait "$pid" 2>/dev/null; }
    echo "load: $(cut -d' ' -f1 /proc/loadavg)"
done
