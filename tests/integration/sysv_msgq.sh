#!/bin/bash
# msgrcv writes the 8-byte mtype and then `ret` bytes of text: a trace that
# keeps only `ret` bytes from msgp replays the text with its last 8 bytes
# missing. Recorded and replayed with the ptrace and eBPF backends (the kernel
# module's run is in tests/kmod/run_vm_test.sh).
. "$(dirname "$0")/lib.sh"

prog="$SAMPLES/sample_sysv_msgq"
assert_native_runs_differ msgq "$prog"
grep -qE '^mtype [0-9]+, 32 bytes: [0-9a-f]{32}$' "$TMP/msgq.native1" ||
    { show "$TMP/msgq.native1"; fail "native run: unexpected output"; }

find_backends

for b in "${backends[@]}"; do
    note "$b"
    RP_BACKEND=$b record "msgq_$b" "$prog"
    assert_eq "$REC_STATUS" 0 "$b: recorded exit status"
    grep -qE '^mtype [0-9]+, 32 bytes: [0-9a-f]{32}$' "$TMP/msgq_$b.rec" ||
        { show "$TMP/msgq_$b.rec"; fail "$b: recording printed an unexpected line"; }
    assert_replays_match "msgq_$b"
done
echo PASS
