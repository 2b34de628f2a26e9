#!/bin/bash
# One syscall of every buffer size kind (samples/buffer_kinds.c), recorded
# with ptrace and with eBPF: each replays exactly, and both backends record the
# same regions (address and length, per syscall) — the C++ and the BPF
# environments of common/rp_rules.h agree on a real kernel.
. "$(dirname "$0")/lib.sh"

prog="$SAMPLES/sample_buffer_kinds"
assert_native_runs_differ kinds "$prog"

# "syscall address [N bytes]" for every recorded output region (-d: all of
# them, also those dump decodes).
regions() { # NAME
    "$RP" dump -d "$TMP/$1.db" | awk '
        /^ +[0-9]+ +[0-9]+ +[a-z_0-9]+\(/ { split($3, a, "("); name = a[1]; next }
        /<- 0x/ { print name, $2, $3, $4 }' >"$TMP/$1.regions"
}

find_backends

for b in "${backends[@]}"; do
    note "$b"
    RP_BACKEND=$b record "kinds_$b" "$prog"
    assert_eq "$REC_STATUS" 0 "$b: recorded exit status"
    assert_replays_match "kinds_$b"
    regions "kinds_$b"
    # msgrcv: the 8-byte mtype, then the 40 bytes of text.
    assert_contains "$TMP/kinds_$b.regions" "msgrcv " "$b: msgrcv region"
    grep -q '^msgrcv 0x[0-9a-f]* \[48 bytes\]$' "$TMP/kinds_$b.regions" ||
        { show "$TMP/kinds_$b.regions"; fail "$b: msgrcv must record 48 bytes (mtype + text)"; }
done
for s in newfstatat ioctl pselect6 poll read readv rt_sigpending getsockname getsockopt recvmsg \
         sendmmsg recvmmsg fcntl mincore name_to_handle_at get_mempolicy msgrcv; do
    assert_contains "$TMP/kinds_ptrace.regions" "$s " "ptrace: a region of $s"
done
if [ -f "$TMP/kinds_bpf.regions" ]; then
    diff "$TMP/kinds_ptrace.regions" "$TMP/kinds_bpf.regions" >&2 ||
        fail "ptrace and bpf recorded different regions"
fi
echo PASS
