#!/bin/bash
# vfork events: a vfork child that execs, followed either way. Following
# the parent (gdb's default), the child is detached and runs without the
# breakpoints, which gdb puts back at `vforkdone`: a breakpoint in the
# parent after the vfork stops there. Following the child, gdb follows its
# exec into the new program and stops in exec_child() by name; the parent,
# detached then, runs on without the breakpoint gdb set in after_vfork.
# reverse-continue from the end goes back across the vfork to after_vfork.
. "$(dirname "$0")/gdb_lib.sh"

record vf "$SAMPLES/sample_vfork_exec"
assert_eq "$REC_STATUS" 6 "vfork_exec's recorded exit status"
kid=$(sed -n 's/^child \([0-9]*\) runs.*/\1/p' "$TMP/vf.rec")
[ -n "$kid" ] || { show "$TMP/vf.rec"; fail "vfork_exec printed no child pid"; }

cat >"$TMP/parent.gdb" <<'EOF2'
break after_vfork
continue
bt
continue
continue
EOF2
gdb_session vf "$TMP/parent.gdb"
assert_in_order "$TMP/vf.gdb.out" \
    "^\[Detaching after vfork from child process $kid\]" \
    "^Breakpoint 1, after_vfork \(kid=$kid\)" \
    "^#1 .*main \(.*\) at .*vfork_exec.c" \
    "exited with code 06\]"
assert_absent "$TMP/vf.gdb.out" "exec_child|SIGTRAP|SIGSTOP|rp: replay diverged" \
    "the detached vfork child stopped, or the replay diverged"

# Going back across the vfork: reverse execution replays from the start with
# the breakpoint in the memory the parent shares with its child; the parent
# must reach after_vfork with the stack it had (same rsp/sp), and its wait
# must then match the recording.
cat >"$TMP/reverse.gdb" <<'EOF2'
break after_vfork
continue
printf "sp at the hit: %#lx\n", $sp
continue
reverse-continue
printf "sp going back: %#lx\n", $sp
bt
next
next
next
printf "status %d\n", status
continue
continue
EOF2
gdb_session vf "$TMP/reverse.gdb"
sp=$(sed -n 's/^sp at the hit: //p' "$TMP/vf.gdb.out")
[ -n "$sp" ] || { show "$TMP/vf.gdb.out"; fail "gdb printed no sp at the breakpoint"; }
assert_in_order "$TMP/vf.gdb.out" \
    "^Breakpoint 1, after_vfork \(kid=$kid\)" \
    "^rp: end of the recording" \
    "^Breakpoint 1, after_vfork \(kid=$kid\)" \
    "^sp going back: $sp\$" \
    "^#1 .*main \(.*\) at .*vfork_exec.c" \
    "^status 1280\$" \
    "exited with code 06\]"
assert_absent "$TMP/vf.gdb.out" "SIGTRAP|SIGSTOP|rp: replay diverged" \
    "going back across the vfork diverged or stopped where gdb did not ask"

# A breakpoint both sides of the vfork run (the line after it): live, gdb
# takes it out of the child's way; in the replay that counts the hits for
# reverse-continue the child meets it first, and the parent must still count.
line=$(grep -n 'if (kid < 0)' "$(dirname "$0")/../../samples/vfork_exec.c" | cut -d: -f1)
[ -n "$line" ] || fail "no 'if (kid < 0)' line in samples/vfork_exec.c"
cat >"$TMP/both.gdb" <<EOF2
break vfork_exec.c:$line
continue
continue
reverse-continue
bt
continue
continue
EOF2
gdb_session vf "$TMP/both.gdb"
assert_in_order "$TMP/vf.gdb.out" \
    "^Breakpoint 1, main \(" \
    "^rp: end of the recording" \
    "^Breakpoint 1, main \(" \
    "^#0 .*main \(.*\) at .*vfork_exec.c:$line" \
    "exited with code 06\]"
assert_absent "$TMP/vf.gdb.out" "SIGTRAP|SIGSTOP|rp: replay diverged" \
    "a stop gdb did not ask for while going back to the line after the vfork"

cat >"$TMP/child.gdb" <<'EOF2'
set follow-fork-mode child
break exec_child
break after_vfork
continue
bt
info inferiors
continue
continue
EOF2
gdb_session vf "$TMP/child.gdb"
assert_in_order "$TMP/vf.gdb.out" \
    "^\[Attaching after .* vfork to child .*$kid" \
    "process $kid is executing new program: .*sample_vfork_exec" \
    "Breakpoint 1, .*exec_child \(\) at .*vfork_exec.c" \
    "^#1 .*main \(.*\) at .*vfork_exec.c" \
    "^\* 2 +process $kid " \
    "^rp: end of process $kid in the recording; it then exited with 5" \
    "exited with code 05\]"
assert_absent "$TMP/vf.gdb.out" "SIGTRAP|SIGSTOP|rp: replay diverged|after_vfork" \
    "a stop gdb did not ask for, or the parent stopped"
echo PASS
