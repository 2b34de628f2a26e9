#!/bin/bash
# A shell pipeline: fork, exec, pipes between recorded processes, and only the
# last stage's writes reach the terminal.
. "$(dirname "$0")/lib.sh"

cmd='echo $$; od -An -tx1 -N8 /dev/urandom | tr a-f A-F'
assert_native_runs_differ pipe sh -c "$cmd"
record pipe sh -c "$cmd"
assert_eq "$REC_STATUS" 0 "recorded exit status"
assert_eq "$(wc -l <"$TMP/pipe.rec")" 2 "recorded line count"
grep -q '[a-f]' <(tail -1 "$TMP/pipe.rec") && fail "tr did not run in the recording"
assert_replays_match pipe
echo PASS
