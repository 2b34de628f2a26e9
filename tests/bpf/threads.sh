#!/bin/bash
# Threads under --backend=bpf (docs/backends.md, "Threads under the kernel
# backends"): the recording runs on one CPU, the eBPF program records where
# the scheduler switched threads in user code (meta switches), and replay
# makes each switch at exactly the recorded registers, so a plain data race
# replays with the recorded result. The program's own sched_setaffinity
# cannot move it off that CPU.
. "$(dirname "$0")/lib.sh"
require_bpf

meta() { sqlite3 "$TMP/$1.db" "SELECT value FROM meta WHERE key='$2'"; }

# replays_exactly NAME N: N replays, each printing exactly the recorded stdout,
# with the recorded status, and no switch reached by setting registers; on
# x86_64 the replay agent answers calls between the switches.
replays_exactly() {
    local name=$1 n=$2 i
    for i in $(seq "$n"); do
        RP_AGENT_STATS=1 run "$TMP/$name.rep$i" "$TMP/$name.rep$i.err" "$RP" replay "$TMP/$name.db"
        [ "$STATUS" -eq "$REC_STATUS" ] || { show "$TMP/$name.rep$i.err"; \
            fail "$name: replay $i exited $STATUS, recording exited $REC_STATUS"; }
        assert_same_file "$TMP/$name.rec" "$TMP/$name.rep$i" "$name: replay $i stdout vs recording"
        if grep -q 'setting registers' "$TMP/$name.rep$i.err"; then
            show "$TMP/$name.rep$i.err"
            fail "$name: replay $i did not find a recorded switch by its registers"
        fi
        if [ "$(uname -m)" = x86_64 ] &&
            ! grep -qE '^rp: agent: on, answered [1-9]' "$TMP/$name.rep$i.err"; then
            show "$TMP/$name.rep$i.err"
            fail "$name: replay $i: the replay agent answered no call"
        fi
    done
}

note "race_counter: 4 threads, a shared counter, no lock"
record_bpf race "$SAMPLES/sample_race_counter"
assert_eq "$REC_STATUS" 0 "race: recording exit status"
assert_no_loss race
cpu=$(meta race cpu)
[ -n "$cpu" ] || fail "race: no meta cpu"
switches=$(meta race switches)
[ "${switches:-0}" -gt 0 ] || fail "race: meta switches is '${switches}', expected > 0"
preempts=$(sqlite3 "$TMP/race.db" "SELECT count(*) FROM events WHERE kind=4")
assert_eq "$preempts" "$switches" "race: preemption events vs meta switches"
assert_contains "$TMP/race.rec" "count " "race: output"
# Every thread checked its CPU every 64 iterations: only the recording's.
assert_eq "$(grep '^cpus' "$TMP/race.rec")" "cpus $cpu" "race: CPUs the threads ran on"
note "race: $switches switches on CPU $cpu; $(head -1 "$TMP/race.rec")"
replays_exactly race 3

if [ "$(uname -m)" = x86_64 ]; then
    # rp traps rdtsc: a signal stop in user code in the middle of the race.
    # Its event must sort before what other threads did after the stop.
    note "race_counter rdtsc: trapped instructions among the switches"
    record_bpf tsc "$SAMPLES/sample_race_counter" 1000 rdtsc
    assert_eq "$REC_STATUS" 0 "tsc: recording exit status"
    assert_no_loss tsc
    if [ "$(meta tsc rdtsc_trapped)" = 0 ] && [ "$(meta tsc rdtsc_patched)" != 1 ]; then
        note "tsc: rdtsc was not recorded: no trapped instruction to order"
    else
        [ "$(sqlite3 "$TMP/tsc.db" "SELECT count(*) FROM events WHERE kind=5")" -gt 0 ] ||
            fail "tsc: no trapped rdtsc recorded"
        replays_exactly tsc 2
    fi
fi

if [ "$(nproc)" -lt 2 ]; then
    note "one CPU only: sched_setaffinity cannot move anything, its check is skipped"
    echo PASS
    exit 0
fi
note "race_counter escape: each thread asks for every CPU but its own"
record_bpf escape "$SAMPLES/sample_race_counter" 1000 escape
assert_eq "$REC_STATUS" 0 "escape: recording exit status"
assert_no_loss escape
assert_eq "$(grep -c 'sched_setaffinity succeeded' "$TMP/escape.rec")" 4 \
    "escape: the program's calls succeeded (as recorded)"
assert_eq "$(grep '^cpus' "$TMP/escape.rec")" "cpus $(meta escape cpu)" \
    "escape: CPUs the threads ran on after sched_setaffinity"
replays_exactly escape 3
echo PASS
