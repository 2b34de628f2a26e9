# rp dump -t/-tt/-ttt/-r/-T: the times recorded with each event (ptrace and
# bpf), shown as strace shows them. Only lower bounds and orderings: the
# machine may be loaded.
source "$(dirname "$0")/lib.sh"

find_backends
for backend in "${backends[@]}"; do
    note "$backend: sleep 0.2"
    before=$(date +%s.%N)
    "$RP" record -q --backend="$backend" -o "$TMP/$backend.db" -- sleep 0.2 </dev/null ||
        fail "$backend: record"
    after=$(date +%s.%N)
    db="$TMP/$backend.db"

    run "$TMP/T" "$TMP/T.err" "$RP" dump -f -T "$db"
    assert_eq "$STATUS" 0 "$backend: dump -T"
    line=$(grep -E 'nanosleep\(' "$TMP/T" | tail -1)
    [ -n "$line" ] || { show "$TMP/T"; fail "$backend: no nanosleep line"; }
    spent=$(sed -nE 's/.* <([0-9]+\.[0-9]{6})>$/\1/p' <<<"$line")
    [ -n "$spent" ] || fail "$backend: nanosleep line without <s.us>: $line"
    awk -v s="$spent" 'BEGIN { exit !(s >= 0.19) }' || fail "$backend: nanosleep took $spent s, < 0.19"

    run "$TMP/ttt" "$TMP/ttt.err" "$RP" dump -f -ttt "$db"
    assert_eq "$STATUS" 0 "$backend: dump -ttt"
    run "$TMP/tt" "$TMP/tt.err" "$RP" dump -f -tt "$db"
    run "$TMP/t" "$TMP/t.err" "$RP" dump -f -t "$db"
    run "$TMP/r" "$TMP/r.err" "$RP" dump -f -r "$db"
    # Event lines only: not the recorded buffers shown under them.
    for f in T ttt tt t r; do sed -i -E '/^ {16} <- 0x/d' "$TMP/$f"; done
    assert_eq "$(wc -l <"$TMP/ttt")" "$(wc -l <"$TMP/T")" "$backend: -ttt lines"
    # -ttt: within the recording's wall-clock window, never decreasing.
    awk -v lo="$before" -v hi="$after" '
        $1 !~ /^[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ { print "bad -ttt time: " $0; exit 1 }
        $1 < lo - 0.000001 || $1 > hi { print "outside [" lo ", " hi "]: " $0; exit 1 }
        NR > 1 && $1 < prev { print "decreases: " $0; exit 1 }
        { prev = $1 }' "$TMP/ttt" || fail "$backend: -ttt times"
    # -tt and -t: the same instants, as local hh:mm:ss.us and hh:mm:ss.
    first=$(awk 'NR == 1 {print $1}' "$TMP/ttt")
    want=$(date -d "@${first%.*}" +%H:%M:%S)
    assert_eq "$(awk 'NR == 1 {print $1}' "$TMP/tt")" "$want.${first#*.}" "$backend: first -tt"
    assert_eq "$(awk 'NR == 1 {print $1}' "$TMP/t")" "$want" "$backend: first -t"
    grep -qvE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ' "$TMP/tt" &&
        { show "$TMP/tt"; fail "$backend: a -tt line without hh:mm:ss.us"; }
    # -r: each line's time since the previous line's (µs truncation: 1 µs slack).
    paste -d' ' <(awk '{print $1}' "$TMP/ttt") <(awk '{print $1}' "$TMP/r") | awk '
        NR == 1 && $2 != "0.000000" { print "first -r is " $2; exit 1 }
        NR > 1 { d = $1 - prev - $2; if (d > 0.0000015 || d < -0.0000015) {
                 print "line " NR ": -r " $2 ", -ttt difference " $1 - prev; exit 1 } }
        { prev = $1 }' || fail "$backend: -r vs -ttt"
    # JSON: "t" as -ttt shows it, "dur" as -T.
    run "$TMP/json" "$TMP/json.err" "$RP" dump --json "$db"
    python3 - "$TMP/json" "$TMP/ttt" "$spent" <<'PY' || fail "$backend: --json t/dur"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"seq"')]
ttt = [l.split()[0] for l in open(sys.argv[2])]
assert len(events) == len(ttt), (len(events), len(ttt))
for e, t in zip(events, ttt):
    assert abs(e["t"] - float(t)) < 1e-6, (e, t)
sleeps = [e for e in events if e.get("name", "").endswith("nanosleep")]
assert sleeps and abs(sleeps[-1]["dur"] - float(sys.argv[3])) < 1e-6, sleeps
PY
done

note "a trace without times (format version 1): -T refused, plain dump works"
cp "$TMP/ptrace.db" "$TMP/v1.db"
sqlite3 "$TMP/v1.db" "ALTER TABLE events DROP COLUMN t_exit; ALTER TABLE events DROP COLUMN t_entry;
    DELETE FROM meta WHERE key IN ('clock_realtime_ns','clock_monotonic_ns');
    UPDATE meta SET value=1 WHERE key='format_version'; VACUUM;" || fail "sqlite3: make a v1 trace"
run "$TMP/v1" "$TMP/v1.err" "$RP" dump -f "$TMP/v1.db"
assert_eq "$STATUS" 0 "dump of a version 1 trace"
"$RP" dump -f "$TMP/ptrace.db" >"$TMP/v2" || fail "dump of the version 2 trace"
assert_same_file "$TMP/v1" "$TMP/v2" "dump of the version 1 trace"
run "$TMP/v1T" "$TMP/v1T.err" "$RP" dump -T "$TMP/v1.db"
assert_rp_error "$TMP/v1T.err" "$STATUS" "dump -T of a version 1 trace"
assert_contains "$TMP/v1T.err" "recorded without times" "dump -T of a version 1 trace"
note "ok"
