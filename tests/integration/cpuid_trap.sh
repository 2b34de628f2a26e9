#!/bin/bash
# cpuid under CPUID faulting (common/cpuid_trap.h, docs/design.md "cpuid"):
# where this CPU can make cpuid fault (cpuid_fault in /proc/cpuinfo), every
# recording traps it, under each backend: the trace says so (meta
# cpuid_trapped, rp info), holds the answers with their leaves (glibc's probe
# at startup: dozens), none advertises RDRAND, and it replays twice. rp's own
# arch_prctl after each exec is in the trace as rp's (replay makes it
# again), never as the program's. RP_CPUID=untrapped records
# as a machine without faulting would (no cpuid events, meta 0), and replay
# with it refuses a trapped trace in one rp: line. Where the CPU cannot, the
# trace must say 0.
. "$(dirname "$0")/lib.sh"

run "$TMP/bad.out" "$TMP/bad.err" env RP_CPUID=sometimes "$RP" record -q -o "$TMP/bad.db" -- /bin/true
assert_rp_error "$TMP/bad.err" "$STATUS" "RP_CPUID=sometimes"

meta() { sqlite3 "$TMP/$1.db" "SELECT value FROM meta WHERE key='$2'"; }
prog=$CONF_BIN/cpuid_rdrand  # prints what cpuid says, in a thread, a child and an exec'd copy too

if ! grep -qw cpuid_fault /proc/cpuinfo; then
    run "$TMP/plain.out" "$TMP/plain.err" "$RP" record -q -o "$TMP/plain.db" -- /bin/true
    assert_eq "$(meta plain cpuid_trapped)" 0 "meta cpuid_trapped where the CPU cannot fault cpuid"
    note "this CPU cannot make cpuid fault: only the trace's meta was checked"
    echo PASS
    exit 0
fi

find_backends
for backend in "${backends[@]}"; do
    name=$backend
    note "$name"
    run "$TMP/$name.rec" "$TMP/$name.rec.err" "$RP" record -q --backend="$backend" \
        -o "$TMP/$name.db" -- "$prog"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $STATUS"; }
    REC_STATUS=$STATUS
    assert_eq "$(meta "$name" cpuid_trapped)" 1 "$name: meta cpuid_trapped"
    "$RP" info "$TMP/$name.db" >"$TMP/$name.info"
    assert_contains "$TMP/$name.info" "cpuid:          answered by rp and recorded" "$name: rp info"
    "$RP" dump "$TMP/$name.db" >"$TMP/$name.dump" || fail "$name: rp dump failed"
    answers=$(grep -c ' cpuid(' "$TMP/$name.dump")
    note "$name: $answers cpuid answers recorded"
    [ "$answers" -ge 20 ] || { show "$TMP/$name.dump"; fail "$name: $answers cpuid answers"; }
    # Leaf 1's ecx never has RDRAND (bit 30) in what the program was given.
    while read -r ecx; do
        (( (ecx >> 30) & 1 )) && fail "$name: leaf 1 answered with RDRAND (ecx $ecx)"
    done < <(sed -n 's/.* cpuid(0x1, 0) = .* rcx \(0x[0-9a-f]*\) .*/\1/p' "$TMP/$name.dump")
    grep -q ' cpuid(0x1, 0) = ' "$TMP/$name.dump" || fail "$name: no leaf 1 answer in the dump"
    # rp's call after each of the 2 execs, marked as rp's, and no other.
    assert_eq "$(grep -c 'ARCH_SET_CPUID' "$TMP/$name.dump")" 2 "$name: arch_prctl(ARCH_SET_CPUID) calls"
    assert_eq "$(grep -c 'ARCH_SET_CPUID, 0) = 0 <made by rp' "$TMP/$name.dump")" 2 "$name: calls marked as rp's"
    grep -q " rdrand \| rdseed " "$TMP/$name.rec" && fail "$name: the program found RDRAND or RDSEED"
    assert_replays_match "$name"  # twice, as the recording printed and exited
done

note "RP_CPUID=untrapped"
run "$TMP/un.rec" "$TMP/un.rec.err" env RP_CPUID=untrapped "$RP" record -q -o "$TMP/un.db" -- /bin/true
[ "$STATUS" -eq 0 ] || { show "$TMP/un.rec.err"; fail "untrapped: recording exited $STATUS"; }
assert_eq "$(meta un cpuid_trapped)" 0 "untrapped: meta cpuid_trapped"
"$RP" dump "$TMP/un.db" >"$TMP/un.dump"
grep -q ' cpuid' "$TMP/un.dump" && fail "untrapped: cpuid events in the trace"
"$RP" info "$TMP/un.db" >"$TMP/un.info"
assert_contains "$TMP/un.info" "cpuid:          not trapped" "untrapped: rp info"
run "$TMP/un.rep" "$TMP/un.rep.err" "$RP" replay "$TMP/un.db"
[ "$STATUS" -eq 0 ] || { show "$TMP/un.rep.err"; fail "untrapped: replay exited $STATUS"; }
run "$TMP/refused.out" "$TMP/refused.err" env RP_CPUID=untrapped "$RP" replay "$TMP/ptrace.db"
assert_rp_error "$TMP/refused.err" "$STATUS" "a trapped trace replayed with RP_CPUID=untrapped"
assert_contains "$TMP/refused.err" "cannot make cpuid trap" "the refusal"
echo PASS
