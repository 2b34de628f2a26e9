#!/bin/bash
# A tracer's threads under the eBPF backend (samples/tracer_threads.c):
# every syscall of theirs stops at its entry, and the other thread may run
# user code while rp holds one there. The entry's number is the stop's
# (common/rp_switch_rules.h, rp_stop_numbers_entry): replay runs the user
# code of the threads in that order. Numbered at sys_enter instead, each of
# 3 recordings here diverged (a mutex futex replayed as a wait). Several
# recordings: the interleavings differ from run to run.
. "$(dirname "$0")/lib.sh"
require_bpf
PROG=$SAMPLES/sample_tracer_threads
[ -x "$PROG" ] || fail "$PROG not built"

for i in 1 2 3 4; do
    record_bpf "t$i" "$PROG"
    assert_eq "$REC_STATUS" 0 "t$i: recorded exit status"
    assert_no_loss "t$i"
    [ "$(wc -w <"$TMP/t$i.rec")" -eq 40 ] || fail "t$i: the program printed: $(head -c 200 "$TMP/t$i.rec")"
    run "$TMP/t$i.rep" "$TMP/t$i.rep.err" "$RP" replay "$TMP/t$i.db"
    assert_eq "$STATUS" 0 "t$i: replay exit status ($(head -c 300 "$TMP/t$i.rep.err"))"
    assert_same_file "$TMP/t$i.rec" "$TMP/t$i.rep" "t$i: replay output vs the recording's"
done
echo PASS
