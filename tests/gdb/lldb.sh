#!/bin/bash
# LLDB (Debian's lldb-14) on --gdb-port: `gdb-remote`, a breakpoint by
# function name, a backtrace, the recorded exit status. Skipped without lldb (a failure under CI=true).
. "$(dirname "$0")/gdb_lib.sh"

LLDB=$(command -v lldb-14 || command -v lldb) || {
    [ "${CI:-}" = true ] && fail "lldb is not installed, and CI=true: nothing may be skipped"
    echo "SKIP: lldb is not installed"; exit 77
}
record_check_secret

"$RP" replay --gdb-port 0 "$TMP/cs.db" >"$TMP/rp.out" 2>"$TMP/rp.err" </dev/null &
RP_PID=$!
BG_PIDS+=("$RP_PID")
PORT=$(gdb_port_of "$TMP/rp.err" "rp did not say where to connect") || exit 1

cat >"$TMP/l.cmds" <<EOF2
gdb-remote 127.0.0.1:$PORT
breakpoint set -n check
continue
bt
continue
continue
EOF2
"$LLDB" -b -x -s "$TMP/l.cmds" "$SAMPLES/sample_check_secret" >"$TMP/lldb.out" 2>&1 </dev/null
wait "$RP_PID"
assert_in_order "$TMP/lldb.out" \
    "stop reason = breakpoint 1\.1" \
    "frame #0: .*sample_check_secret\`check\(secret=$SECRET\) at check_secret.c" \
    "frame #1: .*sample_check_secret\`main at check_secret.c" \
    "exited with status = $REC_STATUS "
echo PASS
