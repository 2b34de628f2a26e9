#!/bin/bash
# The command line: help, version, errors, default trace names, info and dump.
. "$(dirname "$0")/lib.sh"

out="$TMP/out" err="$TMP/err"

note "help and version"
run "$out" "$err" "$RP" --version
assert_eq "$STATUS" 0 "rp --version"
grep -qE '^rp [0-9]+\.[0-9]+' "$out" || { show "$out"; fail "rp --version prints no version"; }
run "$out" "$err" "$RP" --help
assert_eq "$STATUS" 0 "rp --help"
for c in record replay dump info; do assert_contains "$out" "$c" "rp --help"; done
# -p is replayable (a snapshot) with every backend; --name is capture only.
grep -qE -- '-p PID \[--backend B\] .* replayable, from a snapshot' "$out" ||
    { show "$out"; fail "rp --help: -p not said to be replayable"; }
grep -E 'capture only' "$out" | grep -qE 'ptrace|-p PID' && { show "$out"; fail "rp --help: -p or ptrace listed as capture only"; }
grep -E 'capture only' "$out" | grep -q -- '--name COMM' || { show "$out"; fail "rp --help: --name not said to be capture only"; }
for c in record replay dump info; do
    run "$out" "$err" "$RP" "$c" --help
    assert_eq "$STATUS" 0 "rp $c --help"
    [ -s "$out" ] || fail "rp $c --help printed nothing"
done
assert_contains "$out" "TRACE" "rp info --help"
run "$out" "$err" "$RP" record --help
assert_contains "$out" "--output" "rp record --help"
tr -s ' \n' ' ' <"$out" | grep -qF -- "-p [ --pid ] arg record a running process instead (and its new threads and children), with any backend: replayable" ||
    { show "$out"; fail "rp record --help: -p does not say its records are replayable with any backend"; }

note "bad commands"
run "$out" "$err" "$RP" bogus
assert_ne "$STATUS" 0 "rp bogus"
[ "$STATUS" -lt 128 ] || fail "rp bogus: status $STATUS"
assert_contains "$err" "bogus" "rp bogus stderr"
run "$out" "$err" "$RP"
assert_ne "$STATUS" 0 "rp without a command"
run "$out" "$err" "$RP" record --no-such-option -- /bin/true
assert_ne "$STATUS" 0 "rp record --no-such-option"
[ "$STATUS" -lt 128 ] || fail "rp record --no-such-option: status $STATUS"

note "usage errors: one 'rp:' line on stderr, status 125, no trace left behind"
usage_error() { # WHAT ARGS...
    local what=$1
    shift
    run "$out" "$err" "$RP" "$@"
    assert_eq "$STATUS" 125 "$what: status"
    assert_rp_error "$err" "$STATUS" "$what"
    [ -s "$out" ] && { show "$out"; fail "$what: printed on stdout"; }
    [ ! -e "$TMP/u.db" ] || fail "$what: a trace was written"
}
usage_error "unknown option" record -o "$TMP/u.db" --no-such-option -- /bin/true
usage_error "missing value" record -q -o
usage_error "value missing before the program" record -o -q /bin/true
usage_error "bad number" record -o "$TMP/u.db" -p abc
usage_error "-p and a program" record -o "$TMP/u.db" -p $$ /bin/true
usage_error "-p and a program after --" record -o "$TMP/u.db" -p $$ -- /bin/true
usage_error "-p and --name" record -o "$TMP/u.db" -p $$ --name sh
usage_error "--end-with-program and -p" record -o "$TMP/u.db" --end-with-program -p $$
usage_error "no program" record -o "$TMP/u.db" -q
usage_error "a switch given a value" record --quiet=yes -o "$TMP/u.db" /bin/true
usage_error "replay without a trace" replay -q
usage_error "dump without a trace" dump --data
usage_error "info without a trace" info
usage_error "unknown command" bogus
usage_error "no command"
usage_error "two traces" info "$TMP/a.db" "$TMP/b.db"

note "rp record's options as the description says: bundles, --opt=value, attached values"
run "$out" "$err" "$RP" record -qo "$TMP/b.db" /bin/echo bundled
assert_eq "$STATUS" 0 "rp record -qo FILE"
assert_eq "$(cat "$out")" bundled "rp record -qo FILE: the program's output"
[ -s "$err" ] && { show "$err"; fail "rp record -qo: -q was not taken (stderr not empty)"; }
[ -s "$TMP/b.db" ] || fail "rp record -qo FILE: no trace at FILE"
run "$out" "$err" "$RP" record --output="$TMP/eq.db" --backend=ptrace -q /bin/echo -o x
assert_eq "$STATUS" 0 "rp record --output=FILE"
assert_eq "$(cat "$out")" "-o x" "rp record --output=FILE: the program's own -o"
[ -s "$TMP/eq.db" ] || fail "rp record --output=FILE: no trace at FILE"
run "$out" "$err" "$RP" record -q "-o$TMP/st.db" -- /bin/echo --output
assert_eq "$(cat "$out")" "--output" "rp record -oFILE -- PROGRAM --output"
[ -s "$TMP/st.db" ] || fail "rp record -oFILE: no trace at FILE"

note "program not found"
run "$out" "$err" "$RP" record -o "$TMP/nf.db" -- /nonexistent
assert_eq "$STATUS" 127 "rp record -- /nonexistent"
assert_rp_error "$err" "$STATUS" "rp record -- /nonexistent"
run "$out" "$err" "$RP" record -o "$TMP/nf2.db" -- no-such-program-in-path-xyz
assert_eq "$STATUS" 127 "rp record -- no-such-program-in-path-xyz"
assert_rp_error "$err" "$STATUS" "rp record -- no-such-program-in-path-xyz"

note "default trace name"
mkdir "$TMP/cwd"
cd "$TMP/cwd" || fail "cd"
run "$out" "$err" "$RP" record -- "$SAMPLES/sample_random_bytes"
assert_eq "$STATUS" 0 "rp record without -o"
shopt -s nullglob
traces=(rp-*.db)
assert_eq "${#traces[@]}" 1 "trace files created in cwd"
assert_contains "$err" "${traces[0]}" "rp record stderr naming the trace"
assert_contains "$out" "random: " "program output during recording"
run "$TMP/out2" "$err" "$RP" record -- "$SAMPLES/sample_random_bytes"
assert_eq "$STATUS" 0 "second rp record without -o"
traces2=(rp-*.db)
assert_eq "${#traces2[@]}" 2 "trace files after a second recording (no overwrite)"
run "$TMP/rep" "$err" "$RP" replay "${traces[0]}"
assert_eq "$STATUS" 0 "replay of the default-named trace"
assert_same_file "$out" "$TMP/rep" "replay of the first default-named trace"
cd "$TMP" || fail "cd"

note "-q is quiet"
record quiet "$SAMPLES/sample_random_bytes"
[ -s "$TMP/quiet.rec.err" ] && { show "$TMP/quiet.rec.err"; fail "rp record -q wrote to stderr"; }
run "$out" "$err" "$RP" replay -q "$TMP/quiet.db"
assert_eq "$STATUS" 0 "rp replay -q"
[ -s "$out" ] && { show "$out"; fail "rp replay -q printed the program's output"; }

note "program arguments are the program's"
run "$out" "$err" "$RP" record -q -o "$TMP/echo.db" /bin/echo -n "two words" -o x
assert_eq "$STATUS" 0 "rp record /bin/echo -n ..."
assert_eq "$(cat "$out")" "two words -o x" "echo's output (its -n and -o are its own)"
run "$TMP/rep" "$err" "$RP" replay "$TMP/echo.db"
assert_same_file "$out" "$TMP/rep" "replay of echo"

note "info"
t="$TMP/quiet.db"
run "$out" "$err" "$RP" info "$t"
assert_eq "$STATUS" 0 "rp info"
# auto picks a kernel backend when it may (bpf as root), else ptrace.
if [ "$(id -u)" = 0 ]; then want=bpf; else want=ptrace; fi
grep -qE "^backend: +$want\$" "$out" || { show "$out"; fail "rp info: backend is not $want"; }
run "$TMP/pt.out" "$err" "$RP" record -q --backend=ptrace -o "$TMP/pt.db" "$SAMPLES/sample_random_bytes"
run "$TMP/pt.info" "$err" "$RP" info "$TMP/pt.db"
grep -qE '^backend: +ptrace$' "$TMP/pt.info" || { show "$TMP/pt.info"; fail "rp info: --backend=ptrace not named"; }
events=$(sed -n 's/^events: *\([0-9]*\)$/\1/p' "$out")
[ -n "$events" ] && [ "$events" -gt 0 ] || { show "$out"; fail "rp info: no event count > 0"; }
assert_eq "$events" "$(sqlite3 "$t" 'select count(*) from events')" "rp info event count"
assert_contains "$out" "sample_random_bytes" "rp info command"
grep -qE '^exit: +exited with 0$' "$out" || { show "$out"; fail "rp info: exit status"; }

note "calls rp refuses are named, when recording and by rp info"
grep -q "refused" "$out" && { show "$out"; fail "rp info: refused calls listed for a program that made none"; }
[ -n "${CONF_BIN:-}" ] || fail "CONF_BIN is not set"
for b in ptrace "${RP_BACKEND:-auto}"; do
    run "$TMP/uring.out" "$err" "$RP" record --backend="$b" -o "$TMP/uring.db" "$CONF_BIN/io_uring_nop"
    assert_eq "$STATUS" 0 "record io_uring_nop ($b)"
    assert_contains "$err" "rp: warning: rp refused io_uring_setup (1 call) with ENOSYS" "record io_uring_nop ($b)"
    run "$TMP/uring.info" "$err" "$RP" info "$TMP/uring.db"
    grep -qE '^refused calls: +io_uring_setup \(1 call\)' "$TMP/uring.info" ||
        { show "$TMP/uring.info"; fail "rp info: io_uring_setup not listed as refused ($b)"; }
done
run "$TMP/uring.out" "$err" "$RP" record -q -o "$TMP/uring.db" "$CONF_BIN/io_uring_nop"
[ -s "$err" ] && { show "$err"; fail "record -q warned"; }

note "dump"
run "$out" "$err" "$RP" dump --data "$t"
assert_eq "$STATUS" 0 "rp dump --data"
assert_contains "$out" "getrandom(" "rp dump"
# The 16 bytes the program printed as hex are the bytes getrandom returned.
hex=$(sed -n 's/^random: //p' "$TMP/quiet.rec")
assert_eq "${#hex}" 32 "sample output"
spaced=$(echo "$hex" | sed 's/../& /g; s/ $//')
grep -A1 'getrandom(' "$out" | grep -qF "[16 bytes] $spaced" \
    || { grep -A1 'getrandom(' "$out" >&2; fail "rp dump does not show the recorded bytes $spaced"; }
tid=$(awk '/getrandom\(/ { print $2; exit }' "$out")
run "$out" "$err" "$RP" dump --tid "$tid" "$t"
assert_eq "$STATUS" 0 "rp dump --tid"
assert_contains "$out" "getrandom(" "rp dump --tid $tid"
run "$out" "$err" "$RP" dump --tid 999999 "$t"
assert_eq "$STATUS" 0 "rp dump --tid 999999"
[ -s "$out" ] && { show "$out"; fail "rp dump --tid 999999 printed events"; }
echo PASS
