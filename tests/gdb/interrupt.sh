#!/bin/bash
# Ctrl-C in gdb while the replay runs: gdb sends ^C, the replay stops
# between two events and gdb shows the program inside its syscall loop.
. "$(dirname "$0")/gdb_lib.sh"

record gl "$SAMPLES/sample_getppid_loop" 100000
assert_eq "$REC_STATUS" 0 "getppid_loop's status"
# The packet log shows when gdb has resumed the replay, past main (where
# its own shared-library stops are over): a Ctrl-C before that would not
# interrupt a running target.
cat >"$TMP/s.gdb" <<'EOF'
break main
continue
delete
set debug remote 1
continue
set debug remote 0
bt
monitor when
EOF
"$RP" replay -g -x "$TMP/s.gdb" "$TMP/gl.db" >"$TMP/gl.gdb.out" 2>&1 </dev/null &
rp_pid=$!
BG_PIDS+=("$rp_pid")
for _ in $(seq 1 300); do
    grep -aq 'Sending packet: \$vCont;c' "$TMP/gl.gdb.out" && break
    sleep 0.1
done
sleep 0.2
# rp starts gdb as its child; the terminal would send SIGINT to both.
gdb_pid=$(pgrep -P "$rp_pid" -x gdb)
[ -n "$gdb_pid" ] || { show "$TMP/gl.gdb.out"; fail "no gdb under rp"; }
kill -INT "$gdb_pid" "$rp_pid"
wait "$rp_pid"
assert_in_order "$TMP/gl.gdb.out" "^Program received signal SIGINT" \
    "in main \(" "^Current event: [0-9]+\$"
when=$(sed -n 's/^Current event: //p' "$TMP/gl.gdb.out" | head -1)
# Inside the loop: after its first getppid, before its last (event numbers
# count entries too, so the loop spans about 200000 of them).
"$RP" dump "$TMP/gl.db" >"$TMP/gl.dump"
first=$(awk '/getppid\(/ {print $1; exit}' "$TMP/gl.dump")
last=$(awk '/getppid\(/ {s = $1} END {print s}' "$TMP/gl.dump")
[ "$when" -gt "$first" ] && [ "$when" -lt "$last" ] ||
    fail "interrupted at event $when: not inside the loop (events $first..$last)"
grep -aq "^ppid=" "$TMP/gl.gdb.out" && fail "the replay ran to its end despite the interrupt"
echo PASS
