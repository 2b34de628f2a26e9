#!/bin/bash
# The stress sample (200k getpid, 64 x 1 MiB reads) under --backend=bpf:
# nothing lost, every 1 MiB read stored whole, replay identical. Then with a
# 1 MiB ring, too small for any of those reads: the backpressure path (the
# thread is stopped, user space reads its buffer) must give the same result.
. "$(dirname "$0")/lib.sh"
require_bpf

stress_check() { # NAME
    local name=$1 reads
    assert_eq "$REC_STATUS" 0 "$name: recorded exit status"
    assert_no_loss "$name"
    assert_contains "$TMP/$name.rec" "getpid calls=200000"
    reads=$(sqlite3 "$TMP/$name.db" 'select count(*) from mem where input = 0 and size = 1048576')
    assert_eq "$reads" 64 "$name: 1 MiB reads stored whole"
    assert_replays_match "$name"
}

note "default ring (16 MiB)"
record_bpf stress "$SAMPLES/sample_stress"
stress_check stress

note "1 MiB ring: every read goes through user space"
BPF_ENV=RP_RING_MB=1 record_bpf small "$SAMPLES/sample_stress"
stress_check small
line=$("$RP" info "$TMP/small.db" | grep '^kernel capture:')
stalls=$(echo "$line" | sed -n 's/.* \([0-9]*\) stalls.*/\1/p')
done_user=$(echo "$line" | sed -n 's/.* \([0-9]*\) completed from user space.*/\1/p')
[ "${stalls:-0}" -ge 64 ] || fail "small ring: expected >= 64 stalls, got '$line'"
assert_eq "$done_user" "$stalls" "small ring: every stall completed from user space"
echo PASS
