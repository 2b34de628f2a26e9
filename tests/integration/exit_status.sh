#!/bin/bash
# rp record and rp replay exit with the program's status, 128+N for signal N;
# replay with the status it observed.
. "$(dirname "$0")/lib.sh"

check() { # NAME EXPECTED SCRIPT
    record "$1" sh -c "$3"
    assert_eq "$REC_STATUS" "$2" "$1: rp record exit status"
    assert_replays_match "$1"
}
failures=0
# Subshells: one wrong status must not hide the others.
(check exit0 0 'exit 0') || failures=$((failures + 1))
(check exit3 3 'exit 3') || failures=$((failures + 1))
(check exit255 255 'exit 255') || failures=$((failures + 1))
(check kill9 137 'kill -9 $$') || failures=$((failures + 1))
(check segv 139 'kill -SEGV $$') || failures=$((failures + 1))
(check term 143 'echo before; kill -TERM $$; echo after') || failures=$((failures + 1))
[ "$failures" -eq 0 ] || fail "$failures exit status case(s) failed"
assert_eq "$(cat "$TMP/term.rec")" before "output before the signal"

# A process killed at its exit_group's entry (rp record --end-with-program's
# SIGKILL can land there, after the call was recorded): the kernel skipped
# the call, so replay must not run it. The trace is edited to that end: the
# child's exit_group(5), then killed by SIGKILL.
record exitkill sh -c '(exit 5) & wait $!; echo $?'
child=$(sqlite3 "$TMP/exitkill.db" "SELECT tid FROM tasks WHERE tid = tgid AND parent IN
        (SELECT tid FROM tasks)")
[[ "$child" =~ ^[0-9]+$ ]] || fail "exitkill: no child process in the trace ('$child')"
sqlite3 "$TMP/exitkill.db" "UPDATE events SET ret = 9 WHERE tid = $child AND kind = 3;
        UPDATE tasks SET exit_status = 9 WHERE tid = $child" || fail "cannot edit exitkill's trace"
assert_replays_match exitkill

# rp replay exits with the status it saw, not the one the trace claims, and
# says so when they differ.
record claim 'sh' -c 'exit 3'
sqlite3 "$TMP/claim.db" "UPDATE meta SET value=0 WHERE key='exit_code'" ||
    fail "cannot edit the trace's exit_code"
run "$TMP/claim.rep" "$TMP/claim.rep.err" "$RP" replay "$TMP/claim.db"
assert_eq "$STATUS" 3 "replay of a trace claiming exit 0: the observed status"
assert_eq "$(wc -l <"$TMP/claim.rep.err")" 1 "replay with a different status: one line on stderr"
grep -q '^rp: the replayed program exited with 3, the trace says 0' "$TMP/claim.rep.err" ||
    { show "$TMP/claim.rep.err"; fail "replay with a different status: no 'rp:' line"; }

# duration_ms is the program's run; what rp took after its exit to finish the
# trace (a kernel backend's writer runs behind) is finish_ms, said apart.
fin=$(sqlite3 "$TMP/claim.db" "select value from meta where key = 'finish_ms'")
[[ "$fin" =~ ^[0-9]+$ ]] || fail "meta finish_ms: expected a count of ms, got '$fin'"
"$RP" info "$TMP/claim.db" >"$TMP/claim.info" 2>&1
assert_contains "$TMP/claim.info" "ms to finish writing the trace" "rp info: the time after the exit"
echo PASS
