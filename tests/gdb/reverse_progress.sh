#!/bin/bash
# Reverse execution replays the trace again from the start up to where gdb
# is (replay/gdb_target.cc). While it does, rp shows its progress on stderr
# when that is a terminal (script(1) gives one), erased before gdb shows the
# stop; with stderr not a terminal, nothing. The progress line's first update
# comes after 1024 events whatever the speed: 20000 getppid calls are enough.
. "$(dirname "$0")/gdb_lib.sh"
command -v script >/dev/null || { [ "${CI:-}" = true ] && fail "CI=true: no script(1)"; echo "SKIP: no script(1) for a pseudo-terminal"; exit 77; }

record loop "$SAMPLES/sample_getppid_loop" 20000
assert_eq "$REC_STATUS" 0 "record"
# From printf (after the loop) back to main: the counting run replays the loop.
cat >"$TMP/s.gdb" <<'GDB'
set confirm off
set style enabled off
break main
continue
break printf
continue
reverse-continue
print 12345
kill
quit
GDB

note "stderr on a terminal"
script -qec "'$RP' replay -g -x '$TMP/s.gdb' '$TMP/loop.db'" "$TMP/tty.log" >/dev/null </dev/null ||
    { show "$TMP/tty.log"; fail "rp replay -g under script"; }
tr '\r' '\n' <"$TMP/tty.log" >"$TMP/tty.lines"
grep -qE 'rp reverse execution: [0-9]+%' "$TMP/tty.lines" || { show "$TMP/tty.lines"; fail "no progress during reverse-continue"; }
# The last update is erased, then gdb shows the breakpoint hit reached backwards.
assert_in_order "$TMP/tty.lines" 'rp reverse execution: [0-9]+%' $'^\e\\[K$' '^Breakpoint 1, main' '^\$1 = 12345'
grep -A3 'rp reverse execution' "$TMP/tty.lines" | grep -q 'Breakpoint 2' &&
    { show "$TMP/tty.lines"; fail "progress shown before the forward run's stop"; }

note "stderr not a terminal"
gdb_session loop "$TMP/s.gdb"
assert_in_order "$TMP/loop.gdb.out" '^Breakpoint 1, main' '^\$1 = 12345'
grep -q 'reverse execution:' "$TMP/loop.gdb.out" && { show "$TMP/loop.gdb.out"; fail "progress on a stderr that is not a terminal"; }
echo PASS
