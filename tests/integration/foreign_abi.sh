#!/bin/bash
# A system call of another ABI (x86_64: `int $0x80`, the i386 table, from a
# 64-bit program; common/sandbox.h, kForeignAbiTrap) ends the recording under
# every backend with one rp: line naming it, before the call runs: its write
# reaches no output. Before, the ptrace backend recorded it as stat and the
# write went through unrecorded (replay then lacked that line, silently);
# the eBPF backend recorded a lost record, or died of std::bad_alloc on an
# i386 getpid read as writev.
. "$(dirname "$0")/lib.sh"

if [ "$(uname -m)" != x86_64 ]; then
    note "no int \$0x80 on $(uname -m)"
    echo PASS
    exit 0
fi
find_backends
for backend in "${backends[@]}"; do
    run "$TMP/$backend.out" "$TMP/$backend.err" "$RP" record -q --backend="$backend" \
        -o "$TMP/$backend.db" -- "$INT80"
    assert_rp_error "$TMP/$backend.err" "$STATUS" "$backend: recording"
    assert_contains "$TMP/$backend.err" "made a 32-bit (i386, int \$0x80) system call, number 4" \
        "$backend: the refusal"
    if grep -q "int80 write" "$TMP/$backend.out"; then
        fail "$backend: the refused call's write reached stdout"
    fi
done
echo PASS
