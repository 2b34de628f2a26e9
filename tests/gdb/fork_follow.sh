#!/bin/bash
# Fork events: gdb's follow-fork-mode works on a replay. Following the
# parent (gdb's default), the child is detached and runs on without
# breakpoints: a breakpoint on close() stops only in the parent. Following
# the child, gdb stops in child() and going back ends where it was forked.
. "$(dirname "$0")/gdb_lib.sh"

record tcp "$SAMPLES/sample_tcp_loopback"
"$RP" ps "$TMP/tcp.db" >"$TMP/tcp.ps"
kid=$(awk '/\(forked\)/ {print $1}' "$TMP/tcp.ps")
[ -n "$kid" ] || { show "$TMP/tcp.ps"; fail "rp ps shows no forked child"; }

cat >"$TMP/parent.gdb" <<'EOF2'
break close
continue
bt
info inferiors
continue
bt
continue
continue
EOF2
gdb_session tcp "$TMP/parent.gdb"
assert_in_order "$TMP/tcp.gdb.out" \
    "^\[Detaching after fork from child process $kid\]" \
    "^Breakpoint 1, .*close " \
    "^#1 .* in main \(\) at .*tcp_loopback.c" \
    "^\* 1 +process [0-9]+ " \
    "^Breakpoint 1, .*close " \
    "^#1 .* in main \(\) at .*tcp_loopback.c" \
    "exited normally\]"
assert_absent "$TMP/tcp.gdb.out" "child \(|Thread 2\.|SIGTRAP" "the detached child stopped"

cat >"$TMP/child.gdb" <<'EOF2'
set follow-fork-mode child
break child
continue
bt
reverse-continue
continue
continue
continue
EOF2
gdb_session tcp "$TMP/child.gdb"
assert_in_order "$TMP/tcp.gdb.out" \
    "^\[Attaching after .* fork to child .*$kid" \
    "hit Breakpoint 1, child \(port=" \
    "^#1 .*main \(\) at .*tcp_loopback.c" \
    "^No more reverse-execution history" \
    "[Ff]ork \(" \
    "hit Breakpoint 1, child \(port=" \
    "^rp: end of process $kid in the recording; it then exited with 7" \
    "exited with code 07\]"
echo PASS
