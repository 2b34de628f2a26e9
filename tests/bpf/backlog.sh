#!/bin/bash
# A program that produces as fast as rp drains: sample_read64k preads the same
# 64 KiB 2000 times (131 MB through the ring). The drain thread's backlog
# goes through the spill file (record/spill_file.h), not fresh memory, and
# comes back whole (the replay prints the checksum of every byte read); the
# drainer is woken in batches, about once per 2 MiB produced (rp.bpf.c,
# wake_flag), not at every record while it catches up (351 wake-ups here
# with that rule, 52 with this one).
. "$(dirname "$0")/lib.sh"
require_bpf

head -c 65536 /dev/urandom >"$TMP/data"
record_bpf reads "$SAMPLES/sample_read64k" "$TMP/data" 2000
assert_eq "$REC_STATUS" 0 "recorded exit status"
assert_no_loss reads
assert_replays_match reads

meta() { sqlite3 "$TMP/reads.db" "select value from meta where key = '$1'"; }
spilled=$(meta kernel_spilled_bytes) bytes=$(meta kernel_bytes) wakeups=$(meta kernel_wakeups)
note "ring bytes $bytes, through the spill file $spilled, forced wake-ups $wakeups"
[ "${spilled:-0}" -ge $((32 << 20)) ] || fail "expected >= 32 MiB through the spill file, got '$spilled'"
# One per 2 MiB (ring_wake_bytes of the default 16 MiB ring), and a few more
# where two CPUs raced for the same one.
most=$((bytes / (2 << 20) + 16))
[[ "$wakeups" =~ ^[0-9]+$ ]] && [ "$wakeups" -le "$most" ] ||
    fail "expected at most $most forced wake-ups for $bytes bytes, got '$wakeups'"
fin=$(meta finish_ms)
[[ "$fin" =~ ^[0-9]+$ ]] || fail "meta finish_ms: expected a count of ms, got '$fin'"
echo PASS
