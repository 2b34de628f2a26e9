#!/bin/bash
# Each sample prints something that differs on every native run; its replay
# must print exactly what the recorded run printed, every time.
. "$(dirname "$0")/lib.sh"

for s in random_bytes urandom pids clock tcp_loopback threads; do
    note "$s"
    prog="$SAMPLES/sample_$s"
    assert_native_runs_differ "$s" "$prog"
    record "$s" "$prog"
    assert_eq "$REC_STATUS" 0 "$s: recorded exit status"
    [ -s "$TMP/$s.rec" ] || fail "$s: recording printed nothing"
    assert_replays_match "$s"
done
echo PASS
