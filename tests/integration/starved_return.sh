#!/bin/bash
# A thread preempted by the ptrace recorder before its first instruction
# after a syscall (issue 13, conformance sched_yield): it ran no user code,
# so the recorder writes no switch for it. One there was harmless for the
# order but made replay leave that syscall site unpatched for the agent: in
# the conformance sched_yield trace that had one, all 11,846 sched_yield
# calls took a ptrace stop each and the replay ran past the suite's 60 s
# under load. samples/starved_return's SCHED_IDLE thread, beside a busy loop
# on its CPU, often gets no CPU for a whole timeslice after its getppid
# returned (at its label after_call) while the main thread waits for the
# slot: before the change 5 of 6 switches of one recording were there.
. "$(dirname "$0")/lib.sh"

taskset -c 0 sh -c 'while :; do :; done' &
BG_PIDS+=($!)
rounds=100
at_call=0
switches=0
for attempt in 1 2 3; do
    name=r$attempt
    run "$TMP/$name.rec" "$TMP/$name.rec.err" "$RP" record -q --backend=ptrace \
        -o "$TMP/$name.db" -- "$SAMPLES/sample_starved_return" "$rounds"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $STATUS"; }
    assert_contains "$TMP/$name.rec" "$rounds rounds" "$name: the program's output"
    addr=$(sed -n 's/^after_call=//p' "$TMP/$name.rec")
    "$RP" dump --json "$TMP/$name.db" >"$TMP/$name.json" || fail "$name: rp dump failed"
    n=$(grep '"type":"preempt"' "$TMP/$name.json" | grep -c "\"ip\":\"$addr\"")
    at_call=$((at_call + n))
    switches=$((switches + $(grep -c '"type":"preempt"' "$TMP/$name.json")))
    run "$TMP/$name.rep" "$TMP/$name.rep.err" "$RP" replay "$TMP/$name.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rep.err"; fail "$name: replay exited $STATUS"; }
    assert_same_file "$TMP/$name.rec" "$TMP/$name.rep" "$name: replay vs recording"
done
note "switches in 3 recordings: $switches, at the return of a call: $at_call"
# Before the change nearly every switch was there (5 of 6 in one recording).
# Rarely one or two still are (3 failed runs of this check during full suite
# runs on 2026-12-03 and -04, with 2, 1 and 1+1 such switches in their three
# recordings; none in 27 recordings beside two busy loops: the cause is not
# found). They cost replay speed only (the site stays unpatched for the
# agent; every replay was exact), so up to 2 are let through.
[ "$at_call" -le 2 ] || fail "$at_call switches recorded where a syscall had just returned"
echo PASS
