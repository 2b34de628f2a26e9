#!/bin/bash
# The point of a kernel backend: recording a syscall-heavy program must be
# far cheaper than with ptrace (one stop per syscall entry and exit).
. "$(dirname "$0")/lib.sh"
require_bpf

n=50000
secs() { # CMD...: wall seconds (to ms) of CMD
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 </dev/null || fail "failed: $*"
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}
bpf_ms=$(secs "$RP" record -q --backend=bpf -o "$TMP/b.db" -- "$SAMPLES/sample_getppid_loop" $n)
ptrace_ms=$(secs "$RP" record -q --backend=ptrace -o "$TMP/p.db" -- "$SAMPLES/sample_getppid_loop" $n)
note "$n syscalls: bpf ${bpf_ms} ms, ptrace ${ptrace_ms} ms"
[ $((bpf_ms * 3)) -lt "$ptrace_ms" ] || fail "bpf (${bpf_ms} ms) is not 3x faster than ptrace (${ptrace_ms} ms)"
echo PASS
