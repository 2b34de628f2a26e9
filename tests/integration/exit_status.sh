#!/bin/bash
# rp record and rp replay exit with the program's status, 128+N for signal N.
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
echo PASS
