#!/bin/bash
# Issue 3: every source of nondeterminism a real program meets replays
# exactly: vDSO clocks, rdtsc, async signals in user code, preemption of a
# spinning thread, process trees with vfork, real Debian programs, and a
# trace whose program was deleted after recording.
. "$(dirname "$0")/lib.sh"

check() { # NAME CMD...: differs natively, replays byte for byte twice
    local name=$1
    shift
    note "$name"
    assert_native_runs_differ "$name" "$@"
    record "$name" "$@"
    assert_replays_match "$name"
}

note rdtsc
assert_native_runs_differ rdtsc "$SAMPLES/sample_rdtsc"
record rdtsc "$SAMPLES/sample_rdtsc"
if ! rdtsc_untrapped rdtsc; then
    assert_replays_match rdtsc
    "$RP" dump "$TMP/rdtsc.db" >"$TMP/rdtsc.dump"
    assert_contains "$TMP/rdtsc.dump" " rdtsc = rax" "rdtsc event in the trace"
fi

# The point of this case is a signal that interrupts user code (replay must
# find its instruction): a recording without one proves nothing, so it fails.
# The sample spins in user code between its 2 ms timer signals; a recording
# in which every signal found it in the kernel is retried a few times rather
# than trusted to luck.
user_signal=no
for attempt in 1 2 3; do
    check alarm_loop "$SAMPLES/sample_alarm_loop"
    "$RP" dump "$TMP/alarm_loop.db" >"$TMP/alarm_loop.dump"
    if grep -q 'SIGALRM.*in user code' "$TMP/alarm_loop.dump"; then
        user_signal=yes
        break
    fi
    note "alarm_loop: attempt $attempt had no signal in user code, recording again"
done
[ "$user_signal" = yes ] ||
    fail "alarm_loop: no signal landed in user code in 3 recordings (backend ${RP_BACKEND:-auto})"

# Threads that communicate through memory alone: only the ptrace backend
# serializes them (kernel backends let them run in parallel, docs/backends.md).
if [ "${RP_BACKEND:-auto}" = ptrace ]; then
    check spin_wait "$SAMPLES/sample_spin_wait"
fi

note "cat of a regular file (copy_file_range into stdout, a file: the recorder reads the bytes back)"
head -c 300 /dev/urandom | od -An -tx1 >"$TMP/cat.in"
record cat_file cat "$TMP/cat.in"
assert_same_file "$TMP/cat_file.rec" "$TMP/cat.in" "cat while recording"
echo changed >"$TMP/cat.in"
assert_replays_match cat_file
check exit_kills_thread "$SAMPLES/sample_exit_kills_thread"
check vfork_shell sh -c 'date +%N; date +%N'
check date date +%s.%N
check python3 python3 -c 'import random, time, os, uuid; print(random.random(), time.time(), os.getpid(), uuid.uuid4())'
check sqlite3 sqlite3 :memory: "select hex(randomblob(16)), julianday('now')"
check sort_random sort -R /etc/services
check proc_stat cat /proc/self/stat
check pipeline3 sh -c 'head -c 64 /dev/urandom | od -An -tx1 | tr a-f A-F | sort'

note "portability: the program is deleted before replay"
mkdir "$TMP/gone"
cp "$SAMPLES/sample_random_bytes" "$TMP/gone/prog"
record portable "$TMP/gone/prog"
rm -rf "$TMP/gone"
assert_replays_match portable

note "cpuid: a replay on a CPU that reports other leaves is warned about"
run "$TMP/cpu.rep" "$TMP/cpu.err" "$RP" replay "$TMP/portable.db"
grep -q "CPUID differs" "$TMP/cpu.err" && fail "cpuid warning on the recording CPU itself"
sqlite3 "$TMP/portable.db" "update meta set value = replace(value, '1.0=', '1.0=f') where key = 'cpuid'"
run "$TMP/cpu.rep" "$TMP/cpu.err" "$RP" replay "$TMP/portable.db"
assert_eq "$STATUS" 0 "replay with another CPUID"
assert_contains "$TMP/cpu.err" "CPUID differs from the recording's (leaf 1.0)" "cpuid warning"
