#!/bin/bash
# `rp replay -g` of a flight-recorder trace (issue 14): line_server attached
# with `rp record -p --ring 64K` (ATTACH_BACKEND: ptrace, or bpf as
# gdb.ring_crash_bpf), thousands of requests, then the crashing one. The
# trace starts at a periodic snapshot, not the attach's: gdb starts there,
# `continue` stops at the SIGSEGV in remove_entry(), `reverse-continue` goes
# back to the snapshot (the frame shown at the start) and says so as at the
# start of any replay, and `continue` reaches the crash again.
. "$(dirname "$0")/gdb_lib.sh"
. "$(dirname "$0")/../integration/attach_lib.sh"
RING_BACKEND=$ATTACH_BACKEND
. "$(dirname "$0")/../integration/ring_lib.sh"

start_server r
send r "set a 1"
attach r --ring 64K
# Far more events than the ring keeps, in bursts: a kernel backend's
# recorder looks at the trace's size on a timer (every 50 ms), so the bursts
# are spaced wider than that. Unspaced, all ten could pass between three
# looks, and the window from the attach would still hold the crash.
for b in $(seq 0 9); do
    n=$(wc -l <"$TMP/r.out")
    for i in $(seq $((b * 300 + 1)) $((b * 300 + 300))); do echo "set k$i v$i"; done >"$TMP/r.fifo"
    wait_lines r $((n + 300))
    sleep 0.12
done
send r "get a" "count"
echo "del missing-key" >"$TMP/r.fifo"
wait "$RP_PID"
assert_eq "$?" 139 "rp record -p --ring: exit status"
[ "$(meta "$TMP/r.db" ring_snapshots)" -ge 2 ] || fail "r: fewer than 2 snapshots"
[ "$(meta "$TMP/r.db" ring_dropped_events)" -gt 1000 ] || fail "r: too few events dropped"
[ -n "$(meta "$TMP/r.db" snapshot_seq)" ] || fail "r: the trace does not start at a periodic snapshot"

cat >"$TMP/s.gdb" <<'GDB'
bt 1
continue
bt
reverse-continue
bt 1
continue
bt 1
GDB
gdb_session r "$TMP/s.gdb"
assert_in_order "$TMP/r.gdb.out" \
    "^#0 " \
    "^a=1\$" \
    "^count 300[0-9]\$" \
    "^Program received signal SIGSEGV" \
    "^#0 +remove_entry \(key=.*\"missing-key\"\) at .*line_server.c" \
    "^#1 .* in handle " \
    "main \(.*\) at .*line_server.c" \
    "^No more reverse-execution history" \
    "^#0 " \
    "^Program received signal SIGSEGV" \
    "^#0 +remove_entry \(key=.*\"missing-key\"\) at .*line_server.c"
# Back at the snapshot (in whichever call it was taken), the same frame as
# at the start.
frames=$(grep '^#0 ' "$TMP/r.gdb.out")
assert_eq "$(sed -n 3p <<<"$frames")" "$(sed -n 1p <<<"$frames")" "the frame after reverse-continue"
echo PASS
