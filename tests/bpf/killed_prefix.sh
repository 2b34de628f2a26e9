#!/bin/bash
# Never silent data loss when rp record is stopped from outside (issue 13).
# 1. SIGKILL to an eBPF recorder in the middle of a run leaves a trace cut
#    short whose events are a prefix of the sequence: replay reproduces every
#    line whose write(2) reached the file, 1..N in order, none missing, and
#    says where the recording was cut. (Before, the supervisor's events were
#    written ahead of the kernel's queued records, so the file held numbers
#    with holes and a cut replay stopped at the first one, far before N.)
# 2. SIGTERM or SIGINT to rp record (a service manager, a CI timeout) goes on
#    to the program; rp records it being killed and finishes the trace, whose
#    replay prints what the program printed. Under the eBPF and the ptrace
#    backend alike.
# The program (numbered_lines) stops by itself after COUNT lines and every rp
# is killed after LIMIT seconds, so nothing here can run away.
. "$(dirname "$0")/lib.sh"
require_bpf
PROG=$(dirname "$RP")/tests/bpf/numbered_lines
[ -x "$PROG" ] || fail "$PROG not built"
COUNT=${COUNT:-3000000}
LIMIT=120 # seconds for any one rp

# record_bg NAME BACKEND: rp record of the program in the background, its pid
# in RP_PID. Not under timeout(1): the signals must reach rp itself, and a
# watchdog kills it (SIGKILL) after LIMIT seconds.
record_bg() {
    "$RP" record -q --backend="$2" -o "$TMP/$1.db" -- "$PROG" "$COUNT" \
        >"$TMP/$1.out" 2>"$TMP/$1.rec.err" </dev/null &
    RP_PID=$!
    BG_PIDS+=("$RP_PID")
    # Its output away from ctest's pipe: cleanup kills the subshell, not its
    # sleep, which would hold the pipe (and the test) open for LIMIT seconds.
    (sleep $LIMIT; kill -KILL "$RP_PID") >/dev/null 2>&1 &
    BG_PIDS+=("$!")
}

# wait_lines FILE N PID: until FILE has N lines (or PID is gone, or 60 s).
wait_lines() {
    local i
    for i in $(seq 1200); do
        [ "$(wc -l <"$1")" -ge "$2" ] && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# sql DB QUERY: on a private copy, so SQLite plays back a hot journal (a
# COMMIT the kill tore) as rp's reader does, without touching the original.
sql() {
    local copy=$TMP/sqlcopy.db
    rm -f "$copy" "$copy-journal"
    cp "$1" "$copy"
    [ -e "$1-journal" ] && cp "$1-journal" "$copy-journal"
    sqlite3 "$copy" "$2"
}

committed_writes() { # DB: the program's writes of a line that reached the file
    sql "$1" "select count(*) from events where kind = 1 and nr = 1 and a0 = 1 and ret > 0"
}
partial_trace() { ls "$TMP"/.k.db.rp-* 2>/dev/null | grep -v -- -journal | head -1; }

# ---- 1. SIGKILL: a prefix.
record_bg k bpf
rp_pid=$RP_PID
wait_lines "$TMP/k.out" 100000 "$rp_pid" ||
    { show "$TMP/k.rec.err"; fail "killed: the program did not reach 100000 lines while recorded"; }
# Kill once the writer (an idle-class thread) has committed some lines: on a busy machine
# it had committed none a second after 100000 lines were printed (CI101).
for i in $(seq 600); do
    part=$(partial_trace)
    n=$([ -n "$part" ] && committed_writes "$part" 2>/dev/null)
    [ "${n:-0}" -gt 0 ] && break
    kill -0 "$rp_pid" 2>/dev/null || break
    sleep 0.1
done
kill -KILL "$rp_pid"
wait "$rp_pid" 2>/dev/null
[ ! -e "$TMP/k.db" ] || fail "killed: a trace was renamed into place as if finished"
part=$(partial_trace)
[ -n "$part" ] || fail "killed: no trace file left"
printed=$(wc -l <"$TMP/k.out")
[ "$printed" -lt "$COUNT" ] || fail "killed: the program ran to its end before the kill"

# What reached the file: the program's writes of a line, and the sequence.
writes=$(committed_writes "$part")
[ "${writes:-0}" -gt 0 ] || fail "killed: no write event committed (writes '$writes')"
holes=$(sql "$part" "with s(seq) as (select seq from events union
    select entry_seq from events where entry_seq is not null),
    g as (select seq, lead(seq) over (order by seq) as nxt from s)
    select count(*) from g where nxt > seq + 1")

timeout -s KILL $LIMIT "$RP" replay "$part" >"$TMP/k.replay" 2>"$TMP/k.replay.err" </dev/null
status=$?
[ "$status" -ne 0 ] || fail "killed: replay of a cut trace exited 0"
assert_contains "$TMP/k.replay.err" "cut short" "killed: replay says the recording was cut"
got=$(wc -l <"$TMP/k.replay")
seq 1 "$got" | cmp -s - "$TMP/k.replay" ||
    { show "$TMP/k.replay"; fail "killed: replay's output is not the lines 1..$got"; }
note "killed after $printed lines printed: $writes writes in the cut trace, $holes holes in its sequence, replay printed $got"
[ "$holes" -eq 0 ] || fail "killed: the cut trace's sequence has $holes holes (not a prefix)"
[ "$got" -eq "$writes" ] ||
    fail "killed: replay printed 1..$got but the trace holds $writes writes of a line ($holes holes in the sequence)"

# ---- 2. SIGTERM / SIGINT: a finished trace.
# term NAME BACKEND SIGNAL LINES
term() {
    local name=$1 backend=$2 sig=$3 lines=$4 st
    record_bg "$name" "$backend"
    rp_pid=$RP_PID
    wait_lines "$TMP/$name.out" "$lines" "$rp_pid" ||
        { show "$TMP/$name.rec.err"; fail "$name: the program did not reach $lines lines while recorded"; }
    kill -"$sig" "$rp_pid"
    wait "$rp_pid"
    st=$?
    [ -s "$TMP/$name.db" ] || { show "$TMP/$name.rec.err"; fail "$name: no finished trace after SIG$sig (rp exited $st)"; }
    [ "$(wc -l <"$TMP/$name.out")" -lt "$COUNT" ] || fail "$name: the program ran to its end before SIG$sig"
    local signo
    signo=$(kill -l "$sig")
    assert_eq "$st" $((128 + signo)) "$name: rp record's status (the program's, killed by SIG$sig)"
    assert_eq "$(sqlite3 "$TMP/$name.db" "select value from meta where key = 'exit_status'")" "$signo" \
        "$name: meta exit_status"
    timeout -s KILL $LIMIT "$RP" replay "$TMP/$name.db" >"$TMP/$name.replay" 2>"$TMP/$name.replay.err" </dev/null
    st=$?
    [ "$st" -eq $((128 + signo)) ] || { show "$TMP/$name.replay.err"; fail "$name: replay exited $st"; }
    assert_same_file "$TMP/$name.replay" "$TMP/$name.out" "$name: replay's output"
    note "$name: $backend, SIG$sig after $(wc -l <"$TMP/$name.out") lines: finished trace, replay identical"
}
term term_bpf bpf TERM 50000
term int_bpf bpf INT 50000
term term_ptrace ptrace TERM 10000
echo PASS
