#!/bin/bash
# `rp record -p PID --backend=ptrace` (issue 14): a server that has served
# requests and holds state in memory is attached to; it serves more, then
# crashes on one request. Replay starts from the snapshot taken at the attach:
# the same answers (which need the state from before the attach) and the same
# SIGSEGV. Then: attach and Ctrl-C leave a server that answers correctly,
# untraced, with its vDSO as it was and rdtsc not trapping.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach_lib.sh"

# ---- attach, crash, replay ----
start_server s
send s "set a 1" "set b 2" "get a"
before=$(wc -l <"$TMP/s.out")
attach s
send s "set c 3" "get b" "get c" "count" "time" "tsc" "cpu" "thread" "peek"
echo "del never-stored" >"$TMP/s.fifo"
wait "$RP_PID"
assert_eq "$?" 139 "rp record -p: exit status (the server's SIGSEGV)"
wait "$SERVER_PID"
assert_eq "$?" 139 "the server's own status"
tail -n "+$((before + 1))" "$TMP/s.out" >"$TMP/s.rec"
assert_contains "$TMP/s.rec" "b=2" "the recorded answers"
# A thread started after the attach (glibc does not register rseq in it
# since rp unregistered the creating thread's: a failure would be fatal).
assert_contains "$TMP/s.rec" "thread 22" "the recorded answers"
assert_contains "$TMP/s.rec" "peek ELF" "the recorded answers"  # a shared read-only mapping
REC_STATUS=139
assert_replays_match s
run "$TMP/check.out" "$TMP/check.err" "$RP" check "$TMP/s.db"
assert_eq "$STATUS" 0 "rp check of the attach trace"
# The kernel no longer writes the cpu number into glibc's rseq area (rp
# unregistered it): sched_getcpu asked the kernel, and that is recorded.
run "$TMP/dump.out" "$TMP/dump.err" "$RP" dump "$TMP/s.db"
assert_contains "$TMP/dump.out" "getcpu(" "rp dump of the attach trace"

# ---- attach, then Ctrl-C: the server runs on as before ----
start_server d
send d "set k v" "vdso"
vdso_before=$(tail -1 "$TMP/d.out")
before=$(wc -l <"$TMP/d.out")
attach d
send d "count" "tsc" "time" "cpu"
kill -INT "$RP_PID"
wait "$RP_PID"
assert_eq "$?" 0 "rp record -p after Ctrl-C: exit status"
assert_contains "$TMP/d.rec.err" "detached from process $SERVER_PID" "rp's message"
tracer=$(sed -n 's/^TracerPid:\s*//p' "/proc/$SERVER_PID/status")
assert_eq "$tracer" 0 "TracerPid of the server after the detach"
tail -n "+$((before + 1))" "$TMP/d.out" >"$TMP/d.rec"
send d "get k" "tsc" "vdso" "count"
tail -4 "$TMP/d.out" >"$TMP/d.after"
printf 'k=v\ntsc ok\n%s\ncount 10\n' "$vdso_before" >"$TMP/d.want"
assert_same_file "$TMP/d.after" "$TMP/d.want" "the server's answers after the detach"
send d "quit"
wait "$SERVER_PID"
assert_eq "$?" 0 "the server's exit status after the detach"
# The trace of a detached recording replays up to the detach.
REC_STATUS=0
assert_replays_match d
echo PASS
