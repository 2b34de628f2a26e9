#!/bin/bash
# The ptrace recorder runs processes that share writable memory one at a
# time, as it runs a process's threads (issue 13, "threads and futexes
# across processes"; conformance futex_procs_threads replays their races).
# rp_test_shared_spin maps a MAP_SHARED page and forks; parent and child then
# each run a busy loop with no syscalls for longer than a timeslice (50 ms).
# - fork: the child keeps the shared page, so the two share one slot and
#   take turns: the recorder preempts them (preempt events in the trace).
# - exec: the child execs first and keeps nothing shared, so it leaves its
#   parent's slot and the two loops run side by side: no preemption.
. "$(dirname "$0")/lib.sh"
: "${SHARED_SPIN:?SHARED_SPIN must be the path of rp_test_shared_spin}"

for mode in fork exec; do
    run "$TMP/$mode.rec" "$TMP/$mode.rec.err" "$RP" record -q --backend=ptrace \
        -o "$TMP/$mode.db" -- "$SHARED_SPIN" "$mode"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$mode.rec.err"; fail "$mode: recording exited $STATUS"; }
    assert_contains "$TMP/$mode.rec" "$mode: done" "$mode: the program's output"
    "$RP" dump --json "$TMP/$mode.db" >"$TMP/$mode.json" || fail "$mode: rp dump failed"
    preempts=$(grep -c '"type":"preempt"' "$TMP/$mode.json")
    note "$mode: $preempts preemptions"
    if [ "$mode" = fork ]; then
        [ "$preempts" -gt 0 ] || fail "fork: parent and child sharing a page ran side by side (no preemption recorded)"
    else
        assert_eq "$preempts" 0 "exec: preemptions of a child that shares nothing after its exec"
    fi
    run "$TMP/$mode.rep" "$TMP/$mode.rep.err" "$RP" replay "$TMP/$mode.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$mode.rep.err"; fail "$mode: replay exited $STATUS"; }
    assert_same_file "$TMP/$mode.rec" "$TMP/$mode.rep" "$mode: replay vs recording"
done
echo PASS
