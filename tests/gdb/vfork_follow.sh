#!/bin/bash
# vfork events: a vfork child that execs, followed either way. Following
# the parent (gdb's default), the child is detached and runs without the
# breakpoints, which gdb puts back at `vforkdone`: a breakpoint in the
# parent after the vfork stops there. Following the child, gdb follows its
# exec into the new program and stops in exec_child() by name; the parent,
# detached then, runs on without the breakpoint gdb set in after_vfork.
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
