#!/bin/bash
# Issue 15: an asynchronous point (a signal in user code) inside a loop of a
# few instructions run millions of times replays exactly, found without a
# ptrace stop per pass and never by setting registers; where the search
# cannot find it, replay stops with a divergence.
. "$(dirname "$0")/lib.sh"

find_backends
for backend in "${backends[@]}"; do
    name=tight_loop_$backend
    note "$name: signals in a 4-instruction loop (counter in a register)"
    assert_native_runs_differ "$name" "$SAMPLES/sample_tight_loop"
    # A recording in which no signal found the loop in user code proves
    # nothing: record again (as nondeterminism.sh does for alarm_loop).
    for attempt in 1 2 3; do
        RP_BACKEND=$backend record "$name" "$SAMPLES/sample_tight_loop"
        "$RP" dump "$TMP/$name.db" >"$TMP/$name.dump"
        grep -q 'SIGALRM.*in user code' "$TMP/$name.dump" && break
        [ "$attempt" = 3 ] && fail "$name: no signal landed in user code in 3 recordings"
    done
    assert_replays_match "$name"
    # Exactly, not by a fallback: nothing on stderr (no "reached by setting
    # registers", no "ptrace stop per pass").
    for i in 1 2; do
        [ -s "$TMP/$name.rep$i.err" ] && { show "$TMP/$name.rep$i.err"; \
            fail "$name: replay $i said something on stderr"; }
    done
done

# The testing knobs (docs/design.md): RP_POINT_SEARCH=breakpoint keeps only
# the breakpoint search, RP_POINT_MAX_PASSES lowers the limit. A point the
# search cannot reach within the limit is a divergence, not a guess.
name=tight_loop_ptrace
note "breakpoint search only, 1000 passes at most: divergence"
run "$TMP/bp.out" "$TMP/bp.err" env RP_POINT_SEARCH=breakpoint RP_POINT_MAX_PASSES=1000 \
    "$RP" replay "$TMP/$name.db"
assert_rp_error "$TMP/bp.err" "$STATUS" "breakpoint search past its limit"
assert_contains "$TMP/bp.err" "cannot locate the recorded point" "breakpoint search past its limit"
assert_contains "$TMP/bp.err" "after 1000 passes" "breakpoint search past its limit"

# Where the hardware's breakpoints do not fire (common/debugreg.h), a trap
# written over the instruction stands in: it must stop the thread on every
# pass too (a breakpoint that never fired would run it on to its next
# syscall, a different divergence).
note "software breakpoints, breakpoint search only, 1000 passes at most: divergence"
run "$TMP/sw.out" "$TMP/sw.err" env RP_BREAKPOINTS=software RP_POINT_SEARCH=breakpoint \
    RP_POINT_MAX_PASSES=1000 "$RP" replay "$TMP/$name.db"
assert_rp_error "$TMP/sw.err" "$STATUS" "software breakpoint search past its limit"
assert_contains "$TMP/sw.err" "after 1000 passes" "software breakpoint search past its limit"

note "patched search, 1000 passes at most: divergence"
run "$TMP/pt.out" "$TMP/pt.err" env RP_POINT_MAX_PASSES=1000 "$RP" replay "$TMP/$name.db"
assert_rp_error "$TMP/pt.err" "$STATUS" "patched search past its limit"
assert_contains "$TMP/pt.err" "cannot locate the recorded point" "patched search past its limit"
assert_contains "$TMP/pt.err" "after 1000 passes" "patched search past its limit"

note "breakpoint search only, default limit: divergence, said once on stderr"
run "$TMP/bpd.out" "$TMP/bpd.err" env RP_POINT_SEARCH=breakpoint "$RP" replay "$TMP/$name.db"
[ "$STATUS" -ne 0 ] || fail "breakpoint search of millions of passes: exit 0"
assert_contains "$TMP/bpd.err" "after 50000 passes" "breakpoint search, default limit"

# Replay's own traps (the breakpoint passes, then the patched trap) are
# raised with the kernel's force_sig, which unblocks a blocked SIGTRAP and
# resets its handler to SIG_DFL (replay/point_search.cc, open_sigtrap). The
# program sees its mask in each SIGALRM's frame, and at the end a SIGTRAP it
# raised while blocked must reach its handler, not kill it. (An ignored
# SIGTRAP: tests/gdb/trap_state.sh.)
name=trap_state
note "$name: SIGTRAP blocked with a handler through replay's searches"
for attempt in 1 2 3; do
    record "$name" "$SAMPLES/sample_trap_state"
    "$RP" dump "$TMP/$name.db" >"$TMP/$name.dump"
    grep -q 'SIGALRM.*in user code' "$TMP/$name.dump" && break
    [ "$attempt" = 3 ] && fail "$name: no signal landed in user code in 3 recordings"
done
assert_contains "$TMP/$name.rec" " 1 SIGTRAPs handled" "$name: recording"
grep -q '^0 SIGALRMs' "$TMP/$name.rec" && fail "$name: no SIGALRM saw SIGTRAP blocked"
assert_replays_match "$name"
note "$name: the same with software breakpoints (their SIGTRAPs are replay's too)"
RP_BREAKPOINTS=software assert_replays_match "$name"
