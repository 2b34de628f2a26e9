#!/bin/bash
# Real tracers recorded by rp, which emulates their ptrace: strace -f (it
# seizes its child in a group-stop and listens, follows every syscall stop,
# and starts with test children it reaps itself) under bpf and ptrace, and
# gdb with a breakpoint (PEEKUSER for the inferior's CS) under ptrace. Each
# records without complaint from the tracer, and replays what it printed.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || fail "strace is not installed (./build.sh deps)"
command -v gdb >/dev/null || fail "gdb is not installed (./build.sh deps)"

for backend in bpf ptrace; do
    name=strace_$backend
    log=$TMP/$name.log  # written while recording; replay writes no file
    RP_BACKEND=$backend record "$name" strace -f -o "$log" sh -c 'echo hi; /bin/true'
    assert_eq "$REC_STATUS" 0 "$name: recording exit status"
    # strace's own complaints (out-of-step stops, an exit it did not expect),
    # rp's notes of a request it did not emulate: none.
    [ ! -s "$TMP/$name.rec.err" ] || { show "$TMP/$name.rec.err"; fail "$name: the recording said something"; }
    assert_contains "$log" "rseq(" "$name: strace shows the call rp refuses"
    assert_contains "$log" "ENOSYS" "$name: and its refusal"
    assert_contains "$log" "+++ exited with 0 +++" "$name: the children's ends"
    grep -q "syscall_0x\|resumed>) *= -1 (errno" "$log" &&
        { show "$log"; fail "$name: strace's stops were out of step"; }
    assert_replays_match "$name"
done

name=gdb_ptrace
RP_BACKEND=ptrace record "$name" gdb -nx -batch -ex "break main" -ex run -ex "info registers rip" \
    -ex continue --args "$SAMPLES/sample_clock"
assert_eq "$REC_STATUS" 0 "$name: recording exit status"
assert_contains "$TMP/$name.rec" "Breakpoint 1, " "$name: gdb stops at its breakpoint"
assert_contains "$TMP/$name.rec" "exited normally" "$name: and runs its program to the end"
assert_replays_match "$name"
echo "PASS real_tracers"
