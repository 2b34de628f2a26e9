#!/bin/bash
# The "user-reported bug": a crash that needs a particular random byte. Once
# captured, every replay must crash the same way, after the same output.
. "$(dirname "$0")/lib.sh"

prog="$SAMPLES/sample_crash_bug"
crashed="" ok=""
for i in $(seq 1 60); do
    record "try$i" "$prog"
    case $REC_STATUS in
        139) [ -n "$crashed" ] && rm -f "$TMP/try$i.db" || crashed="try$i" ;;
        0) [ -n "$ok" ] && rm -f "$TMP/try$i.db" || ok="try$i" ;;
        *) show "$TMP/try$i.rec.err"; fail "recording $i exited $REC_STATUS" ;;
    esac
    [ -n "$crashed" ] && [ -n "$ok" ] && break
done
[ -n "$crashed" ] || fail "no crash in 60 recordings (expected ~25% of runs)"
[ -n "$ok" ] || fail "no successful run in 60 recordings"
note "crash captured in $crashed, clean run in $ok"

assert_contains "$TMP/$crashed.rec" "byte=" "crashing recording"
grep -q '^ok' "$TMP/$crashed.rec" && fail "crashing recording printed ok"
REC_STATUS=139
assert_replays_match "$crashed"

assert_contains "$TMP/$ok.rec" "ok" "clean recording"
REC_STATUS=0
assert_replays_match "$ok"
echo PASS
