#!/bin/bash
# The stress sample (200k getpid, 64 x 1 MiB reads) under --backend=bpf:
# nothing lost, every 1 MiB read stored whole, replay identical. Then with a
# 1 MiB ring, too small for any of those reads: the backpressure path (the
# thread is stopped, user space reads its buffer) must give the same result.
# The first run's backlog passes through the spill file.
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
# A drain that gathers more than a chunk (2 MiB: half a 1 MiB read's
# neighbours) sends it through the spill file (record/spill_file.h): the
# replay above read those bytes back from it.
spilled=$("$RP" info "$TMP/stress.db" | sed -n 's/.* \([0-9]*\) bytes through the spill file.*/\1/p')
fin=$(sqlite3 "$TMP/stress.db" "select value from meta where key = 'finish_ms'")
[[ "$fin" =~ ^[0-9]+$ ]] || fail "meta finish_ms: expected a count of ms, got '$fin'"
[ "${spilled:-0}" -ge $((8 << 20)) ] || fail "default ring: expected >= 8 MiB through the spill file, got '${spilled}'"

note "1 MiB ring: every read goes through user space"
BPF_ENV=RP_RING_MB=1 record_bpf small "$SAMPLES/sample_stress"
stress_check small
line=$("$RP" info "$TMP/small.db" | grep '^kernel capture:')
stalls=$(echo "$line" | sed -n 's/.* \([0-9]*\) stalls.*/\1/p')
done_user=$(echo "$line" | sed -n 's/.* \([0-9]*\) completed from user space.*/\1/p')
[ "${stalls:-0}" -ge 64 ] || fail "small ring: expected >= 64 stalls, got '$line'"
assert_eq "$done_user" "$stalls" "small ring: every stall completed from user space"
echo PASS
