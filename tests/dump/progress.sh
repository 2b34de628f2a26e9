# rp dump shows its progress on stderr when stderr is a terminal and stdout
# is not, and never otherwise (pipes, files, captured output).
source "$(dirname "$0")/lib.sh"
command -v script >/dev/null || { [ "${CI:-}" = true ] && fail "CI=true: no script(1)"; echo "SKIP: no script(1) for a pseudo-terminal"; exit 0; }

record loop "$SAMPLES/sample_getppid_loop" 200000
# script(1) gives rp a terminal; stdout goes to a file, as in `rp dump t.db > out`.
script -qec "'$RP' dump '$TMP/loop.db' > '$TMP/dump.out'" "$TMP/tty.log" >/dev/null </dev/null ||
    fail "rp dump under script"
grep -qE 'rp dump: [0-9]+%' "$TMP/tty.log" || { show "$TMP/tty.log"; fail "no progress on the terminal"; }
grep -q '%' "$TMP/dump.out" && fail "progress in stdout"
assert_eq "$(grep -c 'getppid()' "$TMP/dump.out")" 200000 "the dump itself"

"$RP" dump "$TMP/loop.db" >/dev/null 2>"$TMP/err" || fail "rp dump"
[ -s "$TMP/err" ] && { show "$TMP/err"; fail "progress on a stderr that is not a terminal"; }
# stdout on the terminal too: the percentage would mix with the events.
script -qec "'$RP' dump -e trace=exit_group '$TMP/loop.db'" "$TMP/tty2.log" >/dev/null </dev/null
assert_contains "$TMP/tty2.log" "exit_group(0) = ?" "dump to the terminal"
grep -q 'rp dump: [0-9]*%' "$TMP/tty2.log" && fail "progress while stdout is the terminal"
echo PASS
