#!/bin/bash
# The snapshot tables of an attach recording (docs/trace-format.md) are
# untrusted input like the rest of a trace: each crafted variant of a real
# attach trace must make `rp replay` refuse with one "rp: ..." line and exit
# 125 before starting anything, and `rp check` must name the problem.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/attach_lib.sh"
. "$(dirname "$0")/crafted_lib.sh"

start_server s
send s "set a 1"
attach s
send s "get a"
kill -INT "$RP_PID"
wait "$RP_PID"
assert_eq "$?" 0 "rp record -p, then Ctrl-C"
good="$TMP/s.db"
[ "$(q 'select count(*) from snapshot_mem')" -gt 0 ] || fail "the attach trace has no snapshot contents"
map=$(q 'select min(addr) from snapshot_maps')
chunk=$(q 'select min(addr) from snapshot_mem')
tid=$(q 'select tid from snapshot_threads')

crafted map_unaligned "update snapshot_maps set addr=addr+1 where addr=$map" "not a page-aligned range"
crafted map_kernel "update snapshot_maps set addr=-4096 where addr=$map" "not a page-aligned range"
crafted map_overlap "insert into snapshot_maps select addr+4096,size,prot,shared,offset,path from snapshot_maps where addr=$map" "overlaps"
crafted map_prot "update snapshot_maps set prot=8 where addr=$map" "protection 8"
crafted map_text "update snapshot_maps set size='big' where addr=$map" "wrong type"
crafted mem_outside "update snapshot_mem set addr=4096 where addr=$chunk" "not inside one mapping"
crafted mem_huge "update snapshot_mem set size=1073741824 where addr=$chunk" "at most"
crafted mem_blob "update snapshot_mem set blob=999999 where addr=$chunk" "missing blob"
crafted mem_size "update snapshot_mem set size=size+4096 where addr=$chunk" "its blob holds"
crafted regs_size "update snapshot_threads set regs=x'00'" "registers of 1 bytes"
crafted xstate_huge "update snapshot_threads set xstate=zeroblob(70000)" "extended state larger"
crafted thread_tid "update snapshot_threads set tid=tid+1" "not in the tasks table"
crafted thread_none "delete from snapshot_threads; update meta set value=1 where key='replayable'" "no thread"
crafted sigaction_kill "insert into snapshot_sigactions values(9, zeroblob(32))" "whose action can be set"
crafted sigaction_size "insert into snapshot_sigactions values(10, zeroblob(8))" "action of 8 bytes"
crafted auxv_size "update snapshot set value=x'0102' where key='auxv'" "auxv of 2 bytes"
crafted value_kernel "update snapshot set value=-1 where key='brk'" "brk is not a user-space address"
crafted value_unknown "insert into snapshot values('evil', 1)" "unknown key"
crafted exit_kernel "update snapshot_thread_exit set clear_child_tid=-8" "clear_child_tid is not a user-space address"
crafted exit_text "update snapshot_thread_exit set robust_list='x'" "robust_list is not a user-space address"
crafted exit_stranger "update snapshot_thread_exit set tid=tid+1" "not a thread of snapshot_threads"
crafted exit_twice "insert into snapshot_thread_exit select * from snapshot_thread_exit" "a second row"
crafted outfd_negative "insert into snapshot_output_fds values(-1, 1)" "not a descriptor number"
crafted outfd_huge "insert into snapshot_output_fds values(1099511627776, 1)" "not a descriptor number"
crafted outfd_target "insert into snapshot_output_fds values(7, 3)" "neither stdout (1) nor stderr (2)"
crafted outfd_twice "insert into snapshot_output_fds values(9, 1); insert into snapshot_output_fds values(9, 2)" "a second row"
crafted outfd_text "insert into snapshot_output_fds values('x', 1)" "not an integer"
crafted cwd_relative "update snapshot set value='tmp/x' where key='cwd'" "cwd: not an absolute path"
crafted cwd_dotdot "update snapshot set value='/tmp/../etc' where key='cwd'" "cwd: path has a '..' component"
crafted cwd_blob "update snapshot set value=x'2f746d70' where key='cwd'" "cwd: not text"
crafted stack_negative "update snapshot set value=-4096 where key='stack_limit'" "stack_limit is not a size in bytes or -1"
crafted stack_text "update snapshot set value='8M' where key='stack_limit'" "stack_limit is not a size in bytes or -1"
crafted table_missing "drop table snapshot_sigactions" "schema"

failures=0
for n in "${NAMES[@]}"; do
    note "$n"
    f="$TMP/$n.db"
    run "$TMP/out" "$TMP/err" "$RP" replay "$f"
    if [ "$STATUS" -ne 125 ]; then
        echo "FAIL: $n: rp replay exited $STATUS, expected 125" >&2
        show "$TMP/err"
        failures=$((failures + 1))
    fi
    (assert_rp_error "$TMP/err" "$STATUS" "$n: rp replay") || failures=$((failures + 1))
    run "$TMP/check" "$TMP/check.err" "$RP" check "$f"
    if [ "$STATUS" -ne 1 ] || ! grep -qF -- "${EXPECT[$n]}" "$TMP/check" || [ -s "$TMP/check.err" ]; then
        echo "FAIL: $n: rp check exited $STATUS, expected 1 and '${EXPECT[$n]}'" >&2
        show "$TMP/check"
        failures=$((failures + 1))
    fi
done
[ "$failures" -eq 0 ] || fail "$failures problem(s) with crafted snapshots"

run "$TMP/check" "$TMP/check.err" "$RP" check "$good"
assert_eq "$STATUS" 0 "rp check of the untouched attach trace"
echo PASS
