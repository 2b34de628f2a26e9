#!/bin/bash
# An ignored SIGTRAP stays ignored through replay's searches for
# asynchronous points, whose traps the kernel raises with force_sig (it
# resets an ignored SIGTRAP to SIG_DFL). The replayed program cannot see its
# disposition (replay writes the recorded results of rt_sigaction), so this
# looks at it from outside: gdb holds the replay at the end of the
# recording, and /proc shows the program's SigIgn. (The blocked case:
# tests/integration/async_points.sh.)
. "$(dirname "$0")/gdb_lib.sh"

for attempt in 1 2 3; do
    record ts "$SAMPLES/sample_trap_state" ignore
    "$RP" dump "$TMP/ts.db" >"$TMP/ts.dump"
    grep -q 'SIGALRM.*in user code' "$TMP/ts.dump" && break
    [ "$attempt" = 3 ] && fail "no signal landed in user code in 3 recordings"
done
# The program is a child of rp, which is an ancestor of gdb's shell (how
# many shells lie between depends on $SHELL: bash execs a -c command, dash
# does not), so walk up to rp. No breakpoint: gdb's own would be a trap too.
cat >"$TMP/sigign.sh" <<'SH'
a=$$
while [ "$a" -gt 1 ] && [ "$(ps -o comm= -p "$a")" != rp ]; do
    a=$(ps -o ppid= -p "$a" | tr -d ' ')
done
p=$(pgrep -P "$a" -x sample_trap_sta)
s=$(sed -n "s/^SigIgn:\t//p" "/proc/$p/status")
echo "SIGTRAP ignored: $(( 0x$s >> 4 & 1 ))"
SH
cat >"$TMP/s.gdb" <<GDB
continue
shell sh $TMP/sigign.sh
GDB
gdb_session ts "$TMP/s.gdb"
assert_in_order "$TMP/ts.gdb.out" "^rp: end of the recording" "^SIGTRAP ignored: 1\$"
echo PASS
