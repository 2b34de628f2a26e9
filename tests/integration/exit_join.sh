#!/bin/bash
# A thread's exit beside a sibling's pthread_join, ptrace backend (issue 11's
# attach_threads flake): samples/exit_join has two threads exit together
# while the main thread joins them, 200 rounds a recording, 4 recordings.
# Between a thread's exit(2) entry and its death the kernel clears its tid
# and wakes pthread_join's futex; had the recorder let the main thread run
# user code in that window, what it saw would be up to timing the trace does
# not hold and replay would diverge ("a different syscall": a futex call
# recorded with EAGAIN; 4 of 13 recordings of 100 rounds before the fix).
# The window is widest when the CPUs are busy, so a busy loop per CPU gives
# the scheduler something else to run.
. "$(dirname "$0")/lib.sh"

for cpu in $(seq 0 $(($(nproc) - 1))); do
    taskset -c "$cpu" sh -c 'while :; do :; done' &
    BG_PIDS+=($!)
done
rounds=200
for attempt in 1 2 3 4; do
    name=r$attempt
    run "$TMP/$name.rec" "$TMP/$name.rec.err" "$RP" record -q --backend=ptrace \
        -o "$TMP/$name.db" -- "$SAMPLES/sample_exit_join" "$rounds"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $STATUS"; }
    assert_eq "$(cat "$TMP/$name.rec")" "$rounds rounds" "$name: the program's output"
    run "$TMP/$name.rep" "$TMP/$name.rep.err" "$RP" replay "$TMP/$name.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rep.err"; fail "$name: replay exited $STATUS"; }
    assert_same_file "$TMP/$name.rec" "$TMP/$name.rep" "$name: replay vs recording"
done
echo PASS
