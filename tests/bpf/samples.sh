#!/bin/bash
# Every sample recorded with --backend=bpf replays with the recorded stdout
# and exit status, with no record lost.
. "$(dirname "$0")/lib.sh"
require_bpf

echo "bpf sample file" >"$TMP/input.txt"
check() { # NAME CMD...
    local name=$1
    shift
    note "$name"
    record_bpf "$name" "$@"
    [ -s "$TMP/$name.rec" ] || { show "$TMP/$name.rec.err"; fail "$name: recording printed nothing"; }
    assert_no_loss "$name"
    if [ "$name" = rdtsc ] && rdtsc_untrapped "$name"; then return; fi
    assert_replays_match "$name"
}
for s in random_bytes urandom pids clock vdso_time rdtsc tcp_loopback threads; do
    check "$s" "$SAMPLES/sample_$s"
done
check file_reader "$SAMPLES/sample_file_reader" "$TMP/input.txt"
check read64k "$SAMPLES/sample_read64k" "$TMP/input.txt" 20
check getppid_loop "$SAMPLES/sample_getppid_loop" 20000
check static_pids "$SAMPLES/sample_pids_static"

# crash_bug crashes in about one run of four: record until it does once.
for i in $(seq 40); do
    record_bpf crash "$SAMPLES/sample_crash_bug"
    [ "$REC_STATUS" -eq 139 ] && break
done
assert_eq "$REC_STATUS" 139 "crash_bug: a crashing run in 40 (SIGSEGV)"
assert_no_loss crash
assert_replays_match crash

# Threads run in parallel under bpf: the line order varies, replay keeps it.
for i in 1 2 3; do
    check "threads$i" "$SAMPLES/sample_threads"
done
echo PASS
