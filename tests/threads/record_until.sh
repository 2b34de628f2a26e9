# Sourced by the threads tests whose shape is up to the scheduler (after
# integration/lib.sh and backend.sh).
#
# record_until COUNT WHAT PROGRAM [ARGS...]: records PROGRAM with $backend
# into $TMP/t.db (its output in $TMP/rec, the dump in $TMP/dump) until the
# function COUNT, given the dump, prints a count above 0; up to 30 tries.
# Each CPU gets a busy loop, so that the scheduler has something else to run
# (on a quiet machine, CI93, 12 recordings in a row had no switch), and a
# real-time thread that preempts it every 50 us ($PREEMPTER), so that rare
# points are hit too (a new thread's first instruction: 0 or 1 a recording
# with the loops alone, none in 30 under CI's QEMU load; 15 to 37 with
# it, 7 to 10 with three more busy loops). Sets `found` (that count) and
# `attempt`; fails naming WHAT after 30 misses, which would be a change
# worth a look.
record_until() {
    local count=$1 what=$2 hogs=() cpu pid
    shift 2
    [ -x "${PREEMPTER:-}" ] || fail "PREEMPTER must be the path of rp_test_preempter"
    for cpu in $(seq 0 $(($(nproc) - 1))); do
        taskset -c "$cpu" sh -c 'while :; do :; done' &
        hogs+=($!)
        "$PREEMPTER" "$cpu" 50 &
        hogs+=($!)
    done
    trap 'kill '"${hogs[*]}"' 2>/dev/null; cleanup' EXIT  # lib.sh's cleanup too
    sleep 0.2  # a preempter that cannot be real-time (no root) has exited by now
    for pid in "${hogs[@]}"; do
        kill -0 "$pid" 2>/dev/null || fail "a CPU hog or preempter did not start"
    done
    found=0
    for attempt in $(seq 1 30); do
        "$RP" record -q -b "$backend" -o "$TMP/t.db" -- "$@" >"$TMP/rec" 2>"$TMP/rec.err" ||
            { show "$TMP/rec.err"; fail "recording failed"; }
        "$RP" dump "$TMP/t.db" >"$TMP/dump" 2>&1 || fail "rp dump failed"
        found=$("$count" "$TMP/dump")
        [ "$found" -gt 0 ] && break
        rm -f "$TMP/t.db"
    done
    kill "${hogs[@]}" 2>/dev/null
    trap cleanup EXIT
    [ "$found" -gt 0 ] || fail "no recording of 30 had $what"
}

# replay_matches: $TMP/t.db replays to the end with the recorded output,
# within 2 minutes (a search that never ends fails, exit 124).
replay_matches() {
    timeout 120 "$RP" replay "$TMP/t.db" >"$TMP/rep" 2>"$TMP/rep.err"
    local status=$?
    [ "$status" -eq 0 ] || { show "$TMP/rep.err"; fail "replay exited $status"; }
    assert_same_file "$TMP/rep" "$TMP/rec" "replay output"
}
