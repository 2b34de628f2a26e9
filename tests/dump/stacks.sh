# rp dump -k (strace -k): the stack at each syscall, found by replaying the
# trace. On the crash sample it names the program's own functions with their
# source lines, the libc it mapped by the trace's path with libc's source
# lines from libc6-dbg's debug file (only from the debug directory, only if
# its build id is libc's), in strace -k's format
# (the same frame lines as strace -k of a native run); a forked child's and
# an attach recording's stacks are named too; with -e write=FD the same replay
# also dumps the bytes written; a divergence ends the listing with replay's report; a
# trace that cannot be replayed is refused.
source "$(dirname "$0")/lib.sh"

export RP_BACKEND=ptrace
record crash "$SAMPLES/sample_crash_bug"
db=$TMP/crash.db

note "rp dump -k of the crash sample"
run "$TMP/k" "$TMP/k.err" "$RP" dump -k "$db"
assert_eq "$STATUS" 0 "rp dump -k"
# The frames after the first getrandom line of LISTING (the program's own call).
getrandom_frames() {
    awk '/ getrandom\(/ {if (on) exit; on = 1; next} on && /^ > / {print; next} on {exit}' "$1" >"$2"
    [ -s "$2" ] || { show "$1"; fail "no stack after getrandom"; }
}
getrandom_frames "$TMP/k" "$TMP/frames"
grep -qE '^ > /.*/sample_crash_bug\(main\+0x[0-9a-f]+\) \[0x[0-9a-f]+\] at .*crash_bug\.c:[0-9]+$' \
    "$TMP/frames" || { show "$TMP/frames"; fail "main (crash_bug.c) is not in getrandom's stack"; }

note "libc's frames have file:line from libc6-dbg's file in /usr/lib/debug/.build-id"
libc=$(head -1 "$TMP/frames" | sed -nE 's/^ > (\/.*\/libc\.so\.6)\(.*/\1/p')
[ -n "$libc" ] || { show "$TMP/frames"; fail "libc is not the first frame"; }
id=$(readelf -n "$libc" | awk '/Build ID:/ {print $3}')
debug=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
[ -n "$id" ] && [ -f "$debug" ] || fail "no $debug for $libc: libc6-dbg is not installed (build.sh installs it)"
with_line='^ > /.*/libc\.so\.6\(getrandom\+0x[0-9a-f]+\) \[0x[0-9a-f]+\] at [^ ]*/getrandom\.c:[0-9]+$'
symbol_only='^ > /.*/libc\.so\.6\(getrandom\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$'
head -1 "$TMP/frames" | grep -qE "$with_line" || { show "$TMP/frames"; fail "libc's getrandom has no getrandom.c line"; }

# Stacks of the crash sample with debug files from DIR (rp dump -k --debug-dir DIR).
frames_with_debug_dir() {
    run "$TMP/$2.k" "$TMP/$2.err" env RP_DEBUG=1 "$RP" dump -k --debug-dir "$1" "$db"
    assert_eq "$STATUS" 0 "rp dump -k --debug-dir $1"
    getrandom_frames "$TMP/$2.k" "$TMP/$2.frames"
}
note "--debug-dir of an empty directory: libc's symbols only"
mkdir -p "$TMP/nodebug"
frames_with_debug_dir "$TMP/nodebug" nodebug
head -1 "$TMP/nodebug.frames" | grep -qE "$symbol_only" ||
    { show "$TMP/nodebug.frames"; fail "libc's getrandom, symbol only, is not the first frame"; }
if grep '^ > .*libc\.so\.6(.* at ' "$TMP/nodebug.k"; then fail "a libc line without libc's debug file"; fi

note "a debug file linked from .build-id inside the directory is used"
mkdir -p "$TMP/linked/.build-id/${id:0:2}" "$TMP/linked/files"
cp "$debug" "$TMP/linked/files/libc.debug"
ln -s "../../files/libc.debug" "$TMP/linked/.build-id/${id:0:2}/${id:2}.debug"
frames_with_debug_dir "$TMP/linked" linked
head -1 "$TMP/linked.frames" | grep -qE "$with_line" || { show "$TMP/linked.frames"; fail "linked debug file"; }

note "a link out of the debug directory is not followed"
mkdir -p "$TMP/escape/.build-id/${id:0:2}"
ln -s "$debug" "$TMP/escape/.build-id/${id:0:2}/${id:2}.debug"
frames_with_debug_dir "$TMP/escape" escape
head -1 "$TMP/escape.frames" | grep -qE "$symbol_only" || { show "$TMP/escape.frames"; fail "followed a link out"; }

note "a debug file of another build id is ignored (RP_DEBUG says so)"
other=$(find /usr/lib/debug/.build-id -name '*.debug' ! -path "$debug" | head -1)
mkdir -p "$TMP/wrong/.build-id/${id:0:2}"
cp "$other" "$TMP/wrong/.build-id/${id:0:2}/${id:2}.debug"
frames_with_debug_dir "$TMP/wrong" wrong
head -1 "$TMP/wrong.frames" | grep -qE "$symbol_only" || { show "$TMP/wrong.frames"; fail "used a wrong debug file"; }
assert_contains "$TMP/wrong.err" "not the build id of" "RP_DEBUG's report of the ignored file"

note "--debug-dir: a missing directory, and without -k, are refused"
run "$TMP/missing" "$TMP/missing.err" "$RP" dump -k --debug-dir "$TMP/none" "$db"
assert_rp_error "$TMP/missing.err" "$STATUS" "a missing --debug-dir"
run "$TMP/nok" "$TMP/nok.err" "$RP" dump --debug-dir "$TMP/nodebug" "$db"
assert_rp_error "$TMP/nok.err" "$STATUS" "--debug-dir without -k"
# Every frame line has strace -k's form; at most 64 frames per call.
bad=$(grep '^ > ' "$TMP/k" | grep -cvE '^ > [^ ].*\(.*\) \[0x[0-9a-f]+\]( at .+:[0-9]+)?$')
assert_eq "$bad" 0 "frame lines not in strace -k's form"
most=$(awk '/^ > / {n++; next} {if (n > m) m = n; n = 0} END {print m + 0}' "$TMP/k")
[ "$most" -le 64 ] || fail "$most frames at one call"

note "without -k: the same listing, no frames"
"$RP" dump "$db" >"$TMP/plain" || fail "rp dump"
grep -v '^ > ' "$TMP/k" >"$TMP/k.lines"
assert_same_file "$TMP/k.lines" "$TMP/plain" "rp dump -k less its frames vs rp dump"

note "--json -k: a stack array per syscall"
"$RP" dump -k --json "$db" >"$TMP/json" || fail "rp dump -k --json"
python3 - "$TMP/json" <<'PY' || fail "JSON stacks"
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
calls = [c for c in calls if c["type"] == "syscall"]
assert all("stack" in c for c in calls)
assert any(any("(main+" in f for f in c["stack"]) for c in calls if c["name"] == "getrandom")
PY

if strace -k -o /dev/null true 2>/dev/null; then
    note "the program's frames at getrandom match strace -k of a native run"
    strace -k -e trace=getrandom -o "$TMP/strace" "$SAMPLES/sample_crash_bug" >/dev/null 2>&1
    awk '/^getrandom\(/ {if (on) exit; on = 1; next} on && /^ > / {print; next} on {exit}' "$TMP/strace" |
        grep 'sample_crash_bug(' >"$TMP/strace.frames"
    [ -s "$TMP/strace.frames" ] || { show "$TMP/strace"; fail "strace -k shows no program frame"; }
    grep 'sample_crash_bug(' "$TMP/frames" | sed -E 's/ at [^ ]+:[0-9]+$//' >"$TMP/rp.frames"
    assert_same_file "$TMP/rp.frames" "$TMP/strace.frames" "program frames: rp dump -k vs strace -k"
else
    note "strace -k unavailable: comparison skipped"
fi

note "a forked child: its own frames, its libc named (mapped by its parent)"
record tcp "$SAMPLES/sample_tcp_loopback"
run "$TMP/tcp.k" "$TMP/tcp.k.err" "$RP" dump -k "$TMP/tcp.db"
assert_eq "$STATUS" 0 "rp dump -k of a forking program"
child=$(sqlite3 "$TMP/tcp.db" "select tid from tasks where tid = tgid order by rowid limit 1 offset 1")
[ -n "$child" ] || fail "no child process in the trace"
awk -v child="$child" '/^ > / {if (on) print; next} {on = ($2 == child)}' "$TMP/tcp.k" >"$TMP/child.frames"
grep -qE '/sample_tcp_loopback\([a-z_]+\+0x[0-9a-f]+\) .* at .*tcp_loopback\.c:[0-9]+$' "$TMP/child.frames" ||
    { show "$TMP/child.frames"; fail "the child's own frames"; }
grep -qE '^ > /.*/libc\.so\.6\(' "$TMP/child.frames" || { show "$TMP/child.frames"; fail "the child's libc"; }
if grep -q '^ > \[memory ' "$TMP/tcp.k"; then show "$TMP/tcp.k"; fail "a library left unnamed"; fi

note "an attach recording: the program and libc, restored from the snapshot, are named"
source "$(dirname "$0")/../integration/attach_lib.sh"
start_server s
send s "set a 1"
attach s
send s "get a" "count"
echo "del never-stored" >"$TMP/s.fifo"  # the server's crash ends the recording
wait "$RP_PID"
run "$TMP/s.k" "$TMP/s.k.err" "$RP" dump -k "$TMP/s.db"
assert_eq "$STATUS" 0 "rp dump -k of the attach trace"
grep -qE '^ > /.*/sample_line_server\([a-z_]+\+0x[0-9a-f]+\) \[0x[0-9a-f]+\] at .*line_server\.c:[0-9]+$' \
    "$TMP/s.k" || { show "$TMP/s.k"; fail "no line_server.c frame in the attach trace's stacks"; }
grep -qE '^ > /.*/libc\.so\.6\([a-z_]+\+0x' "$TMP/s.k" || { show "$TMP/s.k"; fail "libc not named"; }

if command -v script >/dev/null; then
    note "progress of the replay on a terminal (stdout to a file)"
    record loop "$SAMPLES/sample_getppid_loop" 5000
    script -qec "'$RP' dump -k '$TMP/loop.db' > '$TMP/loop.k'" "$TMP/tty.log" >/dev/null </dev/null ||
        fail "rp dump -k under script"
    grep -qE 'rp dump -k: [0-9]+%' "$TMP/tty.log" || { show "$TMP/tty.log"; fail "no progress"; }
    grep -q '%' "$TMP/loop.k" && fail "progress in stdout"
fi

note "-k with -e write=FD: one replay gives each write its stack, then the bytes written"
run "$TMP/kw" "$TMP/kw.err" "$RP" dump -k -e trace=write -e write=1 "$db"
assert_eq "$STATUS" 0 "rp dump -k -e write=1"
grep -A1 -E '^ +[0-9]+ +[0-9]+  write\(1, ' "$TMP/kw" | grep -q '^ > ' || { show "$TMP/kw"; fail "no stack after write(1, ...)"; }
# The first line after the first write's frames: its bytes ("byte=N\n", N
# random: 8 or 9 bytes, and hexdump's gap after the 8th).
awk '/  write\(1, / {on = 1; next} on && /^ > / {next} on {print; exit}' "$TMP/kw" |
    grep -qE '^ \| 00000 62 79 74 65 3d ([0-9a-f]{2} +)+byte=[0-9]+\. +\|$' ||
    { show "$TMP/kw"; fail "no hex+ASCII dump of the bytes written after the stack"; }

note "a replay that diverges: the events before it, then replay's report"
cp "$db" "$TMP/diverge.db"
sqlite3 "$TMP/diverge.db" \
    "update events set a2 = a2 + 1 where seq = (select max(seq) from events where kind = 1 and nr = 1)"
at=$(sqlite3 "$TMP/diverge.db" "select max(seq) from events where kind = 1 and nr = 1")
run "$TMP/div" "$TMP/div.err" "$RP" dump -k "$TMP/diverge.db"
assert_eq "$STATUS" 125 "rp dump -k of a diverging trace"
assert_contains "$TMP/div.err" "rp: replay diverged at event $at " "divergence report"
last=$(grep -E '^ +[0-9]+ ' "$TMP/div" | tail -1 | awk '{print $1}')
[ -n "$last" ] && [ "$last" -lt "$at" ] || { show "$TMP/div"; fail "listing ends at '$last', diverged at $at"; }
grep -q '^ > ' "$TMP/div" || fail "no stacks before the divergence"

note "a trace that cannot be replayed is refused"
cp "$db" "$TMP/capture.db"
sqlite3 "$TMP/capture.db" "insert or replace into meta values ('replayable', 0)"
run "$TMP/cap" "$TMP/cap.err" "$RP" dump -k "$TMP/capture.db"
assert_rp_error "$TMP/cap.err" "$STATUS" "rp dump -k of a capture-only trace"
assert_eq "$STATUS" 125 "exit status"
[ ! -s "$TMP/cap" ] || { show "$TMP/cap"; fail "output for a refused trace"; }
echo PASS
