#!/bin/bash
# A traced process's pid leaves the eBPF program's traced set when the
# process ends, and an unrelated process that gets the pid later, while the
# recording goes on, is neither recorded nor stopped.
#
# The recorded program ends four children (exit; leader exits before its last
# thread; exec from a thread; SIGKILL) and reaps them. Then, outside it:
# 1. their bits in rp's traced set (the mapped .bss.tgids) are clear: the exit
#    hook cleared them;
# 2. the bits are set again by hand, as an exit the program missed would leave
#    them, and a process is created with each pid (clone3 set_tid) that sets
#    its CPU affinity, for which a traced process of a replayable recording is
#    stopped (the re-pin): none is stopped, the fork hook cleared its bit
#    before it ran. A stale bit once stopped an unrelated process for good.
. "$(dirname "$0")/lib.sh"
require_bpf

H=$(dirname "$RP")/tests/bpf/pid_reuse
"$RP" record -q --backend=bpf -o "$TMP/t.db" -- "$H" record "$TMP/pids" "$TMP/go" \
    >"$TMP/rec.out" 2>"$TMP/rec.err" </dev/null &
rec=$!
BG_PIDS+=("$rec")
for _ in $(seq 600); do
    [ "$(wc -l 2>/dev/null <"$TMP/pids")" = 4 ] && break
    kill -0 "$rec" 2>/dev/null || break
    sleep 0.1
done
[ "$(wc -l 2>/dev/null <"$TMP/pids")" = 4 ] || { show "$TMP/rec.err"; fail "the recorded children did not all end"; }
pids=$(cat "$TMP/pids")

"$H" bits "$rec" $pids >"$TMP/bits1" 2>&1
bits_status=$?
"$H" stale "$rec" $pids >"$TMP/stale" 2>&1 || { show "$TMP/stale"; fail "setting stale bits"; }
"$H" reuse $pids >"$TMP/reuse" 2>&1
reuse_status=$?
"$H" bits "$rec" $pids >"$TMP/bits2" 2>&1
bits2_status=$?
touch "$TMP/go"
wait "$rec" || { show "$TMP/rec.err"; fail "rp record exited $?"; }
cat "$TMP/bits1" "$TMP/reuse"
if [ "$reuse_status" = 77 ]; then
    [ "${CI:-}" = true ] && fail "clone3 set_tid unavailable under CI=true"
    echo "SKIP: $(head -1 "$TMP/reuse")"
    exit 77
fi
assert_eq "$bits_status" 0 "bits of the ended children (1: a bit left set)"
assert_eq "$reuse_status" 0 "processes reusing the children's pids (1: stopped, 2: no pid free)"
assert_eq "$bits2_status" 0 "bits after the reusers ended (1: a bit left set)"

# The trace holds the children (traced from fork) and nothing of the reusers.
"$RP" check "$TMP/t.db" >"$TMP/check" 2>&1 || { show "$TMP/check"; fail "rp check"; }
"$RP" dump "$TMP/t.db" >"$TMP/dump" || fail "rp dump"
assert_eq "$(grep -c 'sched_setaffinity' "$TMP/dump")" 0 "sched_setaffinity calls in the trace"
assert_eq "$(grep -c 'getppid()' "$TMP/dump")" 4 "the children's getppid calls in the trace"
assert_no_loss t
echo PASS
