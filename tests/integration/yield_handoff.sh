#!/bin/bash
# sched_yield under the ptrace recorder, which runs one thread of a process
# at a time: the yielding thread gives the slot to a waiting one at once.
# Before, it kept the slot for the grace period of a call in the kernel,
# and conformance yield_turns' two threads taking 500 turns by yielding
# made 1.2 million calls in 100 s (or a few thousand, by luck). One turn
# needs a handful of calls on a quiet machine; beside other heavy work (a
# full sweep on the same 2 CPUs) 12,000-19,000 calls were seen, since a
# thread the kernel has not yet woken cannot take its turn. 100 per turn
# passes that and still fails the old behaviour by a factor of 20.
. "$(dirname "$0")/lib.sh"

[ -n "${CONF_BIN:-}" ] || fail "CONF_BIN is not set"
turns=500
for attempt in 1 2 3; do
    name=y$attempt
    RP_BACKEND=ptrace record "$name" "$CONF_BIN/yield_turns"
    assert_eq "$REC_STATUS" 0 "$name: recording exit status"
    n=$("$RP" dump "$TMP/$name.db" | grep -c ' sched_yield(')
    [ "$n" -le $((100 * turns)) ] || fail "$name: $n sched_yield calls for $turns turns"
    assert_replays_match "$name"
done

# Strict turns (samples/yield_strict): a thread yields while the other is
# still inside its own sched_yield, its exit stop not yet seen by rp. To the
# kernel that thread is runnable and gets the CPU; rp gives it the slot the
# same way. Before, the yielding thread kept it and ran two turns in a row:
# the program's own check failed in 5 of 5 recordings (rr's sched_yield too).
for attempt in 1 2 3; do
    name=s$attempt
    RP_BACKEND=ptrace record "$name" "$SAMPLES/sample_yield_strict" 200
    assert_eq "$REC_STATUS" 0 "$name: recording exit status ($(tail -1 "$TMP/$name.rec"))"
    assert_eq "$(cat "$TMP/$name.rec")" "200 turns in order" "$name: the recording's output"
    assert_replays_match "$name"
done
echo PASS
