#!/bin/bash
# execve's path is recorded even when its page was not present at sys_enter
# (the eBPF program cannot fault it in): the kernel's own copy is taken at
# sched_process_exec. Recorded with -p, without the ptrace supervisor, which
# would otherwise supply the name from the new program's auxv.
. "$(dirname "$0")/lib.sh"
require_bpf

prog=$(dirname "$RP")/tests/bpf/exec_after_fork
mkfifo "$TMP/go"
bash -c 'read -r _ <"$1"; "$0" >"$2"' "$prog" "$TMP/go" "$TMP/out" &
target=$!
"$RP" record -p "$target" -o "$TMP/t.db" 2>"$TMP/rec.err" &
rec=$!
BG_PIDS+=("$rec")
wait_recording "$TMP/rec.err"
echo go >"$TMP/go"
wait "$rec" || { show "$TMP/rec.err"; fail "rp record exited $?"; }
assert_eq "$(cat "$TMP/out")" "child ran again" "the program's output"
"$RP" dump "$TMP/t.db" >"$TMP/dump"
grep -qE 'execve\("/proc/self/exe", ' "$TMP/dump" ||
    { grep execve "$TMP/dump"; fail "the child's execve path was not recorded"; }
echo PASS
