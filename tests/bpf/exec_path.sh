#!/bin/bash
# execve's path is recorded even when its page was not present at sys_enter
# (the eBPF program cannot fault it in): the kernel's own copy is taken at
# sched_process_exec. Recorded with -p, without the ptrace supervisor, which
# would otherwise supply the name from the new program's auxv.
. "$(dirname "$0")/lib.sh"
require_bpf

prog=$(dirname "$RP")/tests/bpf/exec_after_fork
record_shell t '"$0" >"$1"' "$prog" "$TMP/out"
assert_eq "$(cat "$TMP/out")" "child ran again" "the program's output"
"$RP" dump "$TMP/t.db" >"$TMP/dump"
grep -qE 'execve\("/proc/self/exe", ' "$TMP/dump" ||
    { grep execve "$TMP/dump"; fail "the child's execve path was not recorded"; }
echo PASS
