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

# While the program runs the writer is an idle-class thread (SCHED_IDLE,
# policy 5 in /proc/TID/stat): a thread of the program that wakes takes its
# CPU at once (docs/performance.md, "The writer as an idle task").
"$RP" record -q --backend=bpf -o "$TMP/idle.db" -- sleep 4 >/dev/null 2>"$TMP/idle.err" &
rec=$!
BG_PIDS+=("$rec")
policy=none
for i in $(seq 60); do
    for t in /proc/"$rec"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = rp-writer ] &&
            policy=$(awk '{ sub(/^.*\) /, ""); print $39 }' "$t/stat" 2>/dev/null)
    done
    [ "$policy" = 5 ] && break
    sleep 0.05
done
wait "$rec" || { show "$TMP/idle.err"; fail "recording sleep 4 failed"; }
assert_eq "$policy" 5 "the writer's scheduling policy while the program runs (5: SCHED_IDLE)"

# A small disk: the spill file leaves the trace the last 64 MiB of its
# filesystem (SpillFile::kRoomForTrace), so on a 16 MiB tmpfs the backlog
# stays in memory, and the ~3 MB trace fits. (When the file could take the
# space, the trace's own writes failed there: "database or disk is full".)
mkdir -p "$TMP/tiny"
if mount -t tmpfs -o size=16m tmpfs "$TMP/tiny" 2>"$TMP/mount.err"; then
    trap 's=$?; umount -l "$TMP/tiny" 2>/dev/null; (exit $s); cleanup' EXIT
    run "$TMP/full.rec" "$TMP/full.rec.err" "$RP" record -q --backend=bpf -o "$TMP/tiny/full.db" -- \
        "$SAMPLES/sample_read64k" "$TMP/data" 2000
    REC_STATUS=$STATUS
    [ "$STATUS" -eq 0 ] || { show "$TMP/full.rec.err"; fail "small disk: recorded exit status $STATUS"; }
    mv "$TMP/tiny/full.db" "$TMP/full.db" && umount "$TMP/tiny" || fail "small disk: cannot take the trace out"
    assert_no_loss full
    assert_replays_match full
    spilled=$(sqlite3 "$TMP/full.db" "select value from meta where key = 'kernel_spilled_bytes'")
    assert_eq "$spilled" 0 "small disk: bytes through the spill file"
elif [ "${CI:-}" = true ]; then
    show "$TMP/mount.err"; fail "cannot mount a tmpfs under CI=true"
else
    note "SKIP the small-disk part: cannot mount a tmpfs ($(head -1 "$TMP/mount.err"))"
fi
echo PASS
