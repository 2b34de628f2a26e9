#!/bin/bash
# execve's path is recorded even when its page was not present at sys_enter
# (the eBPF program cannot fault it in): the kernel's own copy is taken at
# sched_process_exec. Recorded with --name, without the ptrace supervisor,
# which would otherwise supply the name from the new program's auxv. The
# program is copied as "exe": its command name before and after it runs
# itself again through /proc/self/exe.
. "$(dirname "$0")/lib.sh"
require_bpf

cp "$(dirname "$RP")/tests/bpf/exec_after_fork" "$TMP/exe" || fail "cp"
"$RP" record --name exe -o "$TMP/t.db" 2>"$TMP/t.err" &
rec=$!
BG_PIDS+=("$rec")
wait_recording "$TMP/t.err"
"$TMP/exe" >"$TMP/out"
kill -INT "$rec"
wait "$rec" || { show "$TMP/t.err"; fail "rp record --name exited $?"; }
assert_eq "$(cat "$TMP/out")" "child ran again" "the program's output"
"$RP" dump "$TMP/t.db" >"$TMP/dump"
grep -qE 'execve\("/proc/self/exe", ' "$TMP/dump" ||
    { grep execve "$TMP/dump"; fail "the child's execve path was not recorded"; }
echo PASS
