#!/bin/bash
# Memory shared with an untraced process is invisible to syscall recording:
# replay cannot reproduce what the program printed and must say so (exit 125,
# "rp: replay diverged at event ...") instead of printing something else.
. "$(dirname "$0")/lib.sh"
: "${POKER:?POKER must be the path of rp_test_poker}"

shared="$TMP/shared.bin"
"$POKER" "$shared" &
BG_PIDS+=($!)

# The writer must be live before recording starts.
first="" v=""
for i in $(seq 1 200); do
    if [ -s "$shared" ]; then
        v=$(od -An -td4 -N4 "$shared" | tr -d ' ')
        if [ -z "$first" ]; then first=$v; elif [ "$v" != "$first" ]; then break; fi
    fi
    sleep 0.01
done
[ -n "$first" ] && [ "$v" != "$first" ] || fail "the writer never changed $shared"

record shared "$SAMPLES/sample_shared_counter" "$shared" 200
assert_eq "$REC_STATUS" 0 "recorded exit status"
assert_eq "$(wc -l <"$TMP/shared.rec")" 200 "recorded lines"
distinct=$(sort -u "$TMP/shared.rec" | wc -l)
[ "$distinct" -ge 2 ] || fail "the value never changed during recording (setup problem)"
note "recording saw $distinct distinct values"

for i in 1 2; do
    run "$TMP/rep$i" "$TMP/rep$i.err" "$RP" replay "$TMP/shared.db"
    [ "$STATUS" -eq 125 ] || { show "$TMP/rep$i.err"; fail "replay $i exited $STATUS, expected 125"; }
    assert_contains "$TMP/rep$i.err" "rp: replay diverged at event" "replay $i stderr"
    # What replay printed before it noticed must be what the recording printed.
    head -c "$(stat -c %s "$TMP/rep$i")" "$TMP/shared.rec" >"$TMP/prefix$i"
    assert_same_file "$TMP/prefix$i" "$TMP/rep$i" "replay $i output before the divergence"
done
echo PASS
