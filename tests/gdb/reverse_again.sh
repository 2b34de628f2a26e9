#!/bin/bash
# Repeated reverse-continue (issue 15). The first one from a position counts
# the breakpoint hits before it (one replay run) and goes to the last (a
# second run); a stop reached that way knows the hits before it, so the next
# reverse-continue from there, with the same breakpoints, needs only the run
# that goes to the previous hit. `monitor runs` counts the runs. What moves
# the position otherwise (stepi, continue) or changes the breakpoints
# (break, delete) makes rp count again: a remembered count must never give
# a wrong stop.
. "$(dirname "$0")/gdb_lib.sh"

# Static: no dynamic loader, whose library events gdb steps over backwards
# with a reverse-step of its own (each a re-count: the run count would
# depend on the libc).
record loop "$SAMPLES/sample_getppid_loop_static" 5
assert_eq "$REC_STATUS" 0 "record"
# Breakpoint 1 is the loop's head, hit once per iteration before its
# getppid; `i` is the loop counter there.
cat >"$TMP/s.gdb" <<'GDB'
set confirm off
set style enabled off
break getppid_loop.c:13
continue
print i
disable 1
continue
enable 1
reverse-continue
print i
reverse-continue
print i
reverse-continue
print i
monitor runs
stepi
reverse-continue
print i
monitor runs
break syscall
reverse-continue
reverse-continue
print i
monitor runs
continue
reverse-continue
print i
delete 2
reverse-continue
print i
reverse-continue
monitor runs
kill
quit
GDB
gdb_session loop "$TMP/s.gdb"
# Runs: the first; 2 + 1 + 1 for i = 4, 3, 2; stepi moved: 2; breakpoint 2
# is new: 2, then 1 (back to i = 1); continue moved: 2; breakpoint 2 gone:
# 2; then 1 to the start.
assert_in_order "$TMP/loop.gdb.out" \
    '^\$1 = 0$' \
    'rp: end of the recording' \
    '^Breakpoint 1, main' '^\$2 = 4$' \
    '^Breakpoint 1, main' '^\$3 = 3$' \
    '^Breakpoint 1, main' '^\$4 = 2$' \
    '^Replay runs: 5$' \
    '^Breakpoint 1, main' '^\$5 = 2$' \
    '^Replay runs: 7$' \
    '^Breakpoint 2, .*syscall' \
    '^Breakpoint 1, main' '^\$6 = 1$' \
    '^Replay runs: 10$' \
    '^Breakpoint 2, .*syscall' \
    '^Breakpoint 1, main' '^\$7 = 1$' \
    '^Breakpoint 1, main' '^\$8 = 0$' \
    'No more reverse-execution history' \
    '^Replay runs: 15$'
assert_absent "$TMP/loop.gdb.out" 'lost the current position|diverge' "reverse execution lost its way"

note "a condition that fails: gdb steps back over the breakpoint, then reverse-continues"
# Going back from the end, hits i = 4, 3, 2 fail `i == 1`; after each gdb
# takes a reverse step off the breakpoint (2 runs, the step back keeps the
# hits known) and reverse-continues (1 run): 1 + 2 + 3 * 3 = 12, then 4 more
# to the start (hit i = 0 fails too).
cat >"$TMP/c.gdb" <<'GDB'
set confirm off
set style enabled off
break getppid_loop.c:13 if i == 1
continue
print i
disable 1
continue
enable 1
reverse-continue
print i
monitor runs
reverse-continue
monitor runs
kill
quit
GDB
gdb_session loop "$TMP/c.gdb"
assert_in_order "$TMP/loop.gdb.out" \
    '^\$1 = 1$' \
    'rp: end of the recording' \
    '^Breakpoint 1, main' '^\$2 = 1$' \
    '^Replay runs: 12$' \
    'No more reverse-execution history' \
    '^Replay runs: 16$'
assert_absent "$TMP/loop.gdb.out" 'lost the current position|diverge' "reverse execution lost its way"
echo PASS
