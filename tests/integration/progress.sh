# rp replay and rp record show their progress on stderr when stderr is a
# terminal and stdout is not, and never otherwise; the output is the same
# either way. script(1) gives rp a pseudo-terminal.
source "$(dirname "$0")/lib.sh"
command -v script >/dev/null || { [ "${CI:-}" = true ] && fail "CI=true: no script(1)"; echo "SKIP: no script(1) for a pseudo-terminal"; exit 0; }

# Long enough for updates: the first comes after 1024 events, whatever the speed.
record loop "$SAMPLES/sample_getppid_loop" 200000
assert_eq "$REC_STATUS" 0 "record"

# The reference: stdout to a file, stderr not a terminal: nothing on stderr.
"$RP" replay "$TMP/loop.db" >"$TMP/plain.out" 2>"$TMP/plain.err" || fail "rp replay"
[ -s "$TMP/plain.err" ] && { show "$TMP/plain.err"; fail "progress on a stderr that is not a terminal"; }
assert_contains "$TMP/plain.out" "n=200000" "the replayed program's output"

note "replay, stderr on a terminal, stdout to a file"
script -qec "'$RP' replay '$TMP/loop.db' > '$TMP/tty.out'" "$TMP/tty.log" >/dev/null </dev/null ||
    fail "rp replay under script"
grep -qE 'rp replay: [0-9]+%' "$TMP/tty.log" || { show "$TMP/tty.log"; fail "no progress on the terminal"; }
assert_same_file "$TMP/tty.out" "$TMP/plain.out" "replayed output with and without progress"
# Nothing but progress updates, each erased: the line is clean at the end.
tr '\r' '\n' <"$TMP/tty.log" | grep -v '^Script \(started\|done\)' | grep -v '^$' |
    grep -vE $'^\e\\[K(rp replay: [0-9]+%)?$' >"$TMP/other" && { show "$TMP/other"; fail "unexpected output on the terminal"; }
[ "$(tr '\r' '\n' <"$TMP/tty.log" | grep -v '^Script \(started\|done\)' | grep -v '^$' | tail -1)" = $'\e[K' ] ||
    { show "$TMP/tty.log"; fail "progress line not erased at the end"; }

note "replay: no progress inside the program's unfinished stderr line"
# The whole run is one stderr line written in two parts: the update due at the
# 1024th event must wait for its end (else "\r" would overwrite "part ").
record part sh -c 'printf "part " >&2; i=0; while [ $i -lt 2000 ]; do : >/dev/null; i=$((i+1)); done; echo end >&2'
assert_eq "$REC_STATUS" 0 "record part"
[ "$("$RP" dump "$TMP/part.db" | wc -l)" -gt 2048 ] || fail "part: too few events for an update"
script -qec "'$RP' replay '$TMP/part.db' > '$TMP/part.out'" "$TMP/part.log" >/dev/null </dev/null ||
    fail "rp replay part under script"
grep -q 'part end' "$TMP/part.log" || { show "$TMP/part.log"; fail "progress inside the program's stderr line"; }

note "replay, stdout on the terminal too: no progress"
script -qec "'$RP' replay '$TMP/loop.db'" "$TMP/tty2.log" >/dev/null </dev/null || fail "rp replay under script (2)"
assert_contains "$TMP/tty2.log" "n=200000" "replay to the terminal"
grep -q 'rp replay: [0-9]*%' "$TMP/tty2.log" && fail "progress while stdout is the terminal"

note "record, stderr on a terminal, stdout to a file"
# Its progress shows only while the trace writer catches up after the program
# ends (kernel backends), which depends on speed: here only that nothing but
# progress reaches the terminal and the trace and output are the same.
script -qec "env -u RP_BACKEND '$RP' record -q --backend='${RP_BACKEND:-auto}' -o '$TMP/tty.db' \
    '$SAMPLES/sample_getppid_loop' 200000 > '$TMP/rec.out'" "$TMP/rec.log" >/dev/null </dev/null ||
    fail "rp record under script"
assert_contains "$TMP/rec.out" "n=200000" "the recorded program's output"
tr '\r' '\n' <"$TMP/rec.log" | grep -v '^Script \(started\|done\)' | grep -v '^$' |
    grep -vE $'^\e\\[K(rp record: writing the trace: [0-9]+%)?$' >"$TMP/other" &&
    { show "$TMP/other"; fail "unexpected output on the terminal while recording"; }
"$RP" replay "$TMP/tty.db" >"$TMP/tty_db.out" 2>"$TMP/tty_db.err" || { show "$TMP/tty_db.err"; fail "replay of the trace recorded on a terminal"; }
assert_same_file "$TMP/tty_db.out" "$TMP/rec.out" "replay of the trace recorded on a terminal"
echo PASS
