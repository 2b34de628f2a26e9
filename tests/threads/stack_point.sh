#!/bin/bash
# A switch in a loop that counts in a stack slot at the stack pointer
# (`sample_memory_loop stack`): the registers and every digest window outside
# the stacks are the same at every pass, so they leave the point ambiguous.
# The digest's window at rsp, which replay compares only then, holds the count:
# replay must find the one pass with the recorded stack bytes and print the
# same count (docs/design.md, "The memory digest of a switch").
# With MODE redzone (`sample_memory_loop redzone`) the count is at -8(%rsp),
# in the red zone under the stack pointer: only the digest's red zone window
# holds it (common/rp_digest_rules.h); without that window replay stopped
# with "is ambiguous". With MODE stale the window at rsp also holds bytes
# nothing wrote since three getppid calls made just above it: when the
# replay agent, which answers two of them, pushed its registers there, no
# pass matched ("cannot locate the recorded point"). With SHARED ("shared")
# the program also maps shared anonymous memory: replay's check that the
# pass is the only one runs a copy of the thread, which it once skipped for
# such a program and took the first pass (a wrong count, or a divergence
# later: the JVM, whose hsperfdata file is mapped MAP_SHARED).
#   stack_point.sh BACKEND [MODE [SHARED]]   (bpf or ptrace; stack (default),
#                                   redzone or stale; exit 77 when unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
mode=${2:-stack}
shared=${3:-}
source "$here/backend.sh" "$1"

for try in $(seq 10); do
    "$RP" record -q -b "$backend" -o "$TMP/t.db" -- "$SAMPLES/sample_memory_loop" "$mode" $shared \
        >"$TMP/rec" 2>"$TMP/rec.err" || { show "$TMP/rec.err"; fail "recording failed"; }
    read -r _ body _ end <"$TMP/rec.err"
    [ -n "$end" ] || { show "$TMP/rec.err"; fail "the sample did not say where its loop is"; }
    switched_in_loop "$TMP/t.db" "$body" "$end" || continue
    timeout 200 "$RP" replay "$TMP/t.db" >"$TMP/rep" 2>"$TMP/rep.err"
    status=$?
    [ "$status" -eq 0 ] || { show "$TMP/rep.err"; fail "replay exited $status"; }
    assert_same_file "$TMP/rep" "$TMP/rec" "replay output"
    echo "ok: recording $try was switched out in the loop; replay printed $(cat "$TMP/rep")"
    exit 0
done
fail "no recording was switched out in the loop ($try tries)"
