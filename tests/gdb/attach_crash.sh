#!/bin/bash
# `rp replay -g` of an attach recording (issue 14): gdb starts at the
# snapshot, where the server was waiting for a request, and `continue` stops
# at the recorded SIGSEGV in remove_entry(), with the request's key, called
# from handle() and main().
. "$(dirname "$0")/gdb_lib.sh"
. "$(dirname "$0")/../integration/attach_lib.sh"

start_server crash
send crash "set a 1" "get a"
attach crash
send crash "set b 2" "count"
echo "del missing-key" >"$TMP/crash.fifo"
wait "$RP_PID"
assert_eq "$?" 139 "rp record -p: exit status"

cat >"$TMP/s.gdb" <<'GDB'
bt 1
continue
bt
continue
GDB
gdb_session crash "$TMP/s.gdb"
assert_in_order "$TMP/crash.gdb.out" \
    "^#0 .*read" \
    "^ok 3\$" \
    "^count 4\$" \
    "^Program received signal SIGSEGV" \
    "^#0 +remove_entry \(key=.*\"missing-key\"\) at .*line_server.c" \
    "^#1 .* in handle " \
    "main \(.*\) at .*line_server.c" \
    "^Program terminated with signal SIGSEGV"
echo PASS
