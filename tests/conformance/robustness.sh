#!/bin/bash
# Traces cut short or damaged (issue 13, robustness), per backend:
#  - rp record killed with SIGKILL: the program dies with it (no orphans),
#    and replay runs the trace (left in its temporary file .NAME.rp-XXXXXX,
#    record/trace_output.h) up to its last event, prints what the program
#    printed until there, then stops with one "rp:" line saying so (status 125);
#  - rp record killed (SIGKILL) or stopped (SIGTERM) while recording a tree
#    of processes: none of them survives it;
#  - a program that leaves a process running outside its process group (a
#    daemon: setsid) keeps the recording going, which rp says once; SIGTERM
#    to rp then kills that process (the group has no one left to pass it
#    to), and the finished trace replays with the same output and status;
#    a program that ignores SIGTERM is killed by a second one, likewise;
#    with --end-with-program the daemon is killed as the program exits;
#  - a finished trace whose last events were deleted is refused as damaged;
#  - a full disk while recording: one "rp:" line, status 125, the program
#    stopped (rp removes its unfinished temporary file then, as for any
#    failed recording: an existing trace is left as it was).
#   robustness.sh BACKEND     Environment: RP. Needs root (a tmpfs for the full disk).
set -u -o pipefail
: "${RP:?RP must be the path of the rp binary}"
backend=${1:?usage: robustness.sh BACKEND}
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (mounts a small tmpfs to fill)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rp-robust.XXXXXX")
cleanup() { umount "$TMP/small" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
LOOP='echo $$ >"$0"; i=0; while :; do echo line $i; i=$((i+1)); done'

one_rp_line() { # FILE WHAT TEXT: exactly one line, "rp: ...TEXT..."
    [ "$(wc -l <"$1")" -eq 1 ] && grep -q "^rp: .*$3" "$1" && return 0
    fail "$2: expected one 'rp: ...$3...' line, got: $(head -c 400 "$1")"
    return 1
}

# Replays TRACE expecting a cut: status 125, one line, stdout a non-empty
# prefix of what the recording printed (REC_OUT).
check_cut_replay() { # WHAT TRACE REC_OUT
    "$RP" replay "$2" >"$TMP/rep.out" 2>"$TMP/rep.err" </dev/null
    local st=$?
    [ "$st" -eq 125 ] || fail "$1: replay exited $st, expected 125"
    one_rp_line "$TMP/rep.err" "$1: replay" "cut short"
    local n
    n=$(stat -c %s "$TMP/rep.out")
    [ "$n" -gt 0 ] || fail "$1: replay printed nothing before the cut"
    cmp -s "$TMP/rep.out" <(head -c "$n" "$3") || fail "$1: replay output is not what the recording printed"
}

echo "-- rp record killed"
"$RP" record -q -b "$backend" -o "$TMP/cut.db" -- sh -c "$LOOP" "$TMP/prog.pid" \
    >"$TMP/cut.out" 2>"$TMP/cut.err" </dev/null &
rp_pid=$!
# Wait (without a fixed sleep) until some events are committed to the file:
# past the exec'd files (about 4 MB), then 1 MB more of the loop's events
# (the files alone can be there before the writer's first commit).
part= size0=
for _ in $(seq 600); do
    part=$(ls "$TMP"/.cut.db.rp-* 2>/dev/null | head -1)
    size=$( [ -n "$part" ] && stat -c %s "$part" 2>/dev/null || echo 0)
    [ -z "$size0" ] && [ "$size" -gt 4000000 ] && size0=$size
    [ -n "$size0" ] && [ "$size" -gt $((size0 + 1000000)) ] && break
    sleep 0.1
done
kill -KILL "$rp_pid"
wait "$rp_pid" 2>/dev/null
prog=$(cat "$TMP/prog.pid")
for _ in $(seq 100); do kill -0 "$prog" 2>/dev/null || break; sleep 0.1; done
kill -0 "$prog" 2>/dev/null && { fail "the recorded program (pid $prog) survived rp"; kill -KILL "$prog"; }
[ -n "$part" ] || fail "killed recorder: no trace file"
check_cut_replay "killed recorder" "$part" "$TMP/cut.out"

# A process still running (a zombie is dead: its reaper may be slow or absent).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# Every process of a tree (forks, a fork's fork, spinning or sleeping) dies
# with rp, whether rp is killed outright or asked to stop (SIGTERM).
TREE='d=$0; spin() { echo $BASHPID >>"$d"; while :; do :; done; }
spin & (spin & sleep 1000 & echo $! >>"$d"; wait) & echo $$ >>"$d"; wait'
for sig in KILL TERM; do
    echo "-- rp record (a process tree) gets SIG$sig"
    rm -f "$TMP/tree.pids"
    "$RP" record -q -b "$backend" -o "$TMP/tree.db" -- bash -c "$TREE" "$TMP/tree.pids" \
        >/dev/null 2>"$TMP/tree.err" </dev/null &
    rp_pid=$!
    for _ in $(seq 600); do
        [ -f "$TMP/tree.pids" ] && [ "$(wc -l <"$TMP/tree.pids")" -ge 4 ] && break
        sleep 0.1
    done
    [ "$(wc -l <"$TMP/tree.pids" 2>/dev/null)" -ge 4 ] || fail "SIG$sig: the tree did not start"
    kill -"$sig" "$rp_pid"
    wait "$rp_pid" 2>/dev/null
    # Up to 30 s each: under a load of ~10 one process took just over 10 s
    # to go (2026-12-03); a survivor is one still running after that.
    for p in $(cat "$TMP/tree.pids" 2>/dev/null); do
        for _ in $(seq 300); do alive "$p" || break; sleep 0.1; done
        alive "$p" && { fail "SIG$sig: process $p of the recorded tree survived rp"; kill -KILL "$p"; }
    done
    rm -f "$TMP/tree.db" "$TMP"/.tree.db.rp-*
done

# stop_then_replay WHAT SIGNALS: records a program (the rest of the
# arguments after --) that keeps running; once FILE ($TMP/stop.ready) is
# there, sends rp each of SIGNALS (one a second); rp must end, the program's
# processes listed in $TMP/stop.ready must be gone, and the finished trace
# must replay with the recording's stdout and status.
stop_then_replay() {
    local what=$1 sigs=$2 st p
    shift 3
    rm -f "$TMP/stop.ready" "$TMP/stop.db"
    "$RP" record -b "$backend" -o "$TMP/stop.db" -- "$@" \
        >"$TMP/stop.out" 2>"$TMP/stop.err" </dev/null &
    local rp_pid=$!
    for _ in $(seq 600); do [ -s "$TMP/stop.ready" ] && break; sleep 0.1; done
    [ -s "$TMP/stop.ready" ] || { fail "$what: the program did not start"; kill -KILL "$rp_pid"; return; }
    for sig in $sigs; do
        sleep 1
        kill -0 "$rp_pid" 2>/dev/null || { fail "$what: rp ended before SIG$sig"; break; }
        kill -"$sig" "$rp_pid"
    done
    for _ in $(seq 300); do kill -0 "$rp_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$rp_pid" 2>/dev/null; then
        fail "$what: rp still records 30 s after SIG${sigs// /, SIG}"
        kill -KILL "$rp_pid"
    fi
    wait "$rp_pid"
    st=$?
    for p in $(cat "$TMP/stop.ready"); do
        alive "$p" && { fail "$what: process $p survived rp"; kill -KILL "$p"; }
    done
    "$RP" replay "$TMP/stop.db" >"$TMP/stop.rep" 2>"$TMP/stop.rep.err" </dev/null
    local rst=$?
    [ "$rst" -eq "$st" ] || fail "$what: replay exited $rst, the recording $st: $(head -c 300 "$TMP/stop.rep.err")"
    cmp -s "$TMP/stop.out" "$TMP/stop.rep" || fail "$what: replay output differs from the recording's"
    echo "$what: rp exited $st, replay $rst"
}

echo "-- a daemon left running"
# The daemon (setsid: a session and group of its own) writes its pid once it
# runs (with the shell's own echo: one write, and no child of its own that
# could still be there when the program ends); its parent, the program, then
# prints and exits 0.
DAEMON='setsid sh -c "echo \$\$ >\"\$0\"; exec sleep 1000" "$0" &
until [ -s "$0" ]; do sleep 0.05; done; echo daemon started'
stop_then_replay "daemon" "TERM" -- sh -c "$DAEMON" "$TMP/stop.ready"
grep -q "^rp: the program's process group has ended, but 1 process it started runs on outside it (pid $(cat "$TMP/stop.ready"))" "$TMP/stop.err" ||
    fail "daemon: rp did not say that it keeps recording the daemon: $(head -c 400 "$TMP/stop.err")"
[ "$(cat "$TMP/stop.out")" = "daemon started" ] || fail "daemon: the program printed: $(head -c 200 "$TMP/stop.out")"

echo "-- --end-with-program"
rm -f "$TMP/stop.ready"
timeout -k 5 60 "$RP" record --end-with-program -b "$backend" -o "$TMP/ewp.db" -- \
    sh -c "$DAEMON" "$TMP/stop.ready" >"$TMP/ewp.out" 2>"$TMP/ewp.err" </dev/null
st=$?
[ "$st" -eq 0 ] || fail "--end-with-program: rp record exited $st: $(head -c 300 "$TMP/ewp.err")"
for p in $(cat "$TMP/stop.ready" 2>/dev/null); do
    alive "$p" && { fail "--end-with-program: the daemon (pid $p) survived"; kill -KILL "$p"; }
done
grep -q "^rp: the program exited; rp kills what it left running" "$TMP/ewp.err" ||
    fail "--end-with-program: rp did not say it kills the daemon: $(head -c 300 "$TMP/ewp.err")"
"$RP" replay "$TMP/ewp.db" >"$TMP/ewp.rep" 2>"$TMP/ewp.rep.err" </dev/null
rst=$?
[ "$rst" -eq 0 ] || fail "--end-with-program: replay exited $rst: $(head -c 300 "$TMP/ewp.rep.err")"
cmp -s "$TMP/ewp.out" "$TMP/ewp.rep" || fail "--end-with-program: replay output differs"
"$RP" dump "$TMP/ewp.db" | grep -q "killed by SIGKILL" ||
    fail "--end-with-program: the trace does not show the daemon killed"

echo "-- a program that ignores SIGTERM"
IGNORER='trap "" TERM; echo $$ >"$0.tmp"; mv "$0.tmp" "$0"; echo ignoring; sleep 1000; echo never'
stop_then_replay "SIGTERM ignored" "TERM TERM" -- sh -c "$IGNORER" "$TMP/stop.ready"
grep -q "ignoring" "$TMP/stop.out" && ! grep -q never "$TMP/stop.out" ||
    fail "SIGTERM ignored: the program printed: $(head -c 200 "$TMP/stop.out")"

echo "-- last events deleted"
"$RP" record -q -b "$backend" -o "$TMP/full.db" -- sh -c 'echo one; echo two' >/dev/null 2>&1 </dev/null
sqlite3 "$TMP/full.db" "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq DESC LIMIT 3)" \
    || fail "sqlite3 delete"
"$RP" replay "$TMP/full.db" >/dev/null 2>"$TMP/del.err" </dev/null
st=$?
[ "$st" -eq 125 ] || fail "deleted events: replay exited $st, expected 125"
one_rp_line "$TMP/del.err" "deleted events" "damaged"

echo "-- disk full"
mkdir -p "$TMP/small"
mount -t tmpfs -o size=8m rp-robustness "$TMP/small" || fail "cannot mount a tmpfs"
"$RP" record -q -b "$backend" -o "$TMP/small/t.db" -- sh -c "$LOOP" "$TMP/prog2.pid" \
    >"$TMP/disk.out" 2>"$TMP/disk.err" </dev/null
st=$?
[ "$st" -eq 125 ] || fail "disk full: rp record exited $st, expected 125"
one_rp_line "$TMP/disk.err" "disk full: rp record" "full"
prog=$(cat "$TMP/prog2.pid")
for _ in $(seq 100); do kill -0 "$prog" 2>/dev/null || break; sleep 0.1; done
kill -0 "$prog" 2>/dev/null && { fail "disk full: the program (pid $prog) still runs"; kill -KILL "$prog"; }

[ "$failures" -eq 0 ] || { echo "$backend: $failures robustness check(s) failed"; exit 1; }
echo "$backend: robustness PASS"
