#!/bin/bash
# A switch in a loop whose registers are the same on every pass, its state in
# memory a register points to (samples/memory_loop.c): replay must find the
# recorded pass by the memory digest recorded with the switch and print the
# same count, where registers alone make the point ambiguous (docs/design.md
# "Checking a switch point", common/rp_digest_rules.h). The recording is
# retried until the loop thread was switched out at one of the sites whose
# registers repeat. Then the same for a SIGALRM that stops the loop
# (`sample_memory_loop signal`): delivered at the recorded pass, not the first
# with those registers. The timer's signal lands just after the step's load
# (where rax holds the count: no repeat) in about 3 recordings of 5, more on
# a loaded host, so up to 40 are made (0.2 s each).
#   memory_point.sh BACKEND    (bpf or ptrace; exit 77 when unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"

# Whether trace $1 holds an event of type $4 (preempt, signal) at a site of
# the body [$2, $3) whose registers repeat: a step's first instruction or one
# of its 44 nops.
at_repeating_site() {
    local body=$(($2)) end=$(($3)) step ip off
    step=$(((end - body) / 1024))
    local ips
    ips=$("$RP" dump --json "$1" | sed -n "s/.*\"type\":\"$4\".*\"ip\":\"\(0x[0-9a-f]*\)\".*/\1/p")
    for ip in $ips; do
        ((ip >= body && ip < end)) || continue
        off=$(((ip - body) % step))
        ((off == 0 || off >= step - 44)) && return 0
    done
    return 1
}

# record_at_repeating_site TYPE [ARG]: records the sample (with ARG) until
# its TYPE event is at a repeating site; replays it; the same output. Its
# files are named for TYPE, so that a failure's kept directory does not pair
# one case's recording with the other's replay.
record_at_repeating_site() {
    local type=$1 found= try body end
    local db=$TMP/$type.db rec=$TMP/$type.rec rep=$TMP/$type.rep
    shift
    for try in $(seq 40); do
        "$RP" record -q -b "$backend" -o "$db" -- "$SAMPLES/sample_memory_loop" "$@" \
            >"$rec" 2>"$rec.err" || { show "$rec.err"; fail "recording failed"; }
        read -r _ body _ end <"$rec.err"
        [ -n "$end" ] || { show "$rec.err"; fail "the sample did not say where its loop is"; }
        if at_repeating_site "$db" "$body" "$end" "$type"; then found=$try; break; fi
    done
    [ -n "$found" ] ||
        fail "no recording had a $type where the loop's registers repeat ($try tries)"
    timeout 200 "$RP" replay "$db" >"$rep" 2>"$rep.err"
    local status=$?
    [ "$status" -eq 0 ] || { show "$rep.err"; fail "replay ($type) exited $status"; }
    assert_same_file "$rep" "$rec" "replay output ($type)"
    echo "ok: recording $found had a $type where the loop's registers repeat;" \
        "replay printed $(cat "$rep")"
}

record_at_repeating_site preempt
record_at_repeating_site signal signal
