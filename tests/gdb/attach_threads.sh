#!/bin/bash
# `rp replay -g` of an attach recording of three threads (issue 14): gdb
# starts at the snapshot with the three threads as they were (main in read),
# `continue` stops at the SIGSEGV in worker 1, and `reverse-continue` goes
# back to the snapshot, where every thread shows the frame it showed at the
# start (gdb reads the stopped thread's registers without selecting it: the
# server must not answer with the thread selected before).
. "$(dirname "$0")/gdb_lib.sh"
. "$(dirname "$0")/../integration/attach_lib.sh"

start_threads crash
attach crash
wait_workers crash 4
echo crash >"$TMP/crash.fifo"
wait "$RP_PID"
assert_eq "$?" 139 "rp record -p: exit status"

cat >"$TMP/s.gdb" <<'GDB'
info threads
continue
bt 1
info threads
reverse-continue
info threads
GDB
gdb_session crash "$TMP/s.gdb"
assert_in_order "$TMP/crash.gdb.out" \
    "^\* 1 +Thread $SERVER_PID .*read" \
    "received signal SIGSEGV" \
    "^#0 .*worker \(arg=0x1\) at .*attach_threads.c" \
    "No more reverse-execution history"
# The first and the last of the three `info threads` tables (both at the
# snapshot) show the same threads in the same frames. (Worker 0 may have
# ended before the crash: gdb then numbers it anew after reverse-continue,
# so the lines are compared without gdb's numbers, by tid.)
table() {
    awk -v want="$1" '/^ +Id +Target Id/ { n++; next } n == want && /^[* ] +[0-9]+ +Thread / { print }' \
        "$TMP/crash.gdb.out" | sed -E 's/^([* ]) +[0-9]+ +/\1 /' | sort -k3
}
table 1 >"$TMP/first"
table 3 >"$TMP/last"
assert_eq "$(wc -l <"$TMP/first")" 3 "threads at the snapshot"
assert_same_file "$TMP/first" "$TMP/last" "the threads at the snapshot, before and after reverse-continue"
echo PASS
