# rp dump's strace options: -e trace= (names, classes, negation), -e read=FD
# and -e write=FD hex dumps (write= by a replay, its divergence, its fallback
# without one), -s, -f pid prefixes, --json, and errors for bad expressions.
source "$(dirname "$0")/lib.sh"

mkdir "$TMP/run" && cd "$TMP/run" || exit 1
record probe "$PROBE"
db=$TMP/probe.db
d() { "$RP" dump -f "$@" "$db" >"$TMP/out" 2>"$TMP/err" || { show "$TMP/err"; fail "rp dump $*"; }; }
names() { calls_of "$TMP/out" | sed 's/(.*//' | sort -u | tr '\n' ' '; }

note "-e trace=NAME,NAME"
d -e trace=openat,close
assert_eq "$(names)" "close openat " "syscalls shown by trace=openat,close"
assert_contains "$TMP/out" "+++ exited with 0 +++" "exits stay with a trace= filter"
grep -q "rdtsc" "$TMP/out" && fail "rp's own events shown with a trace= filter"

note "-e trace=%file and %network"
d -e trace=%file
for n in $(names); do
    case $n in openat|access|newfstatat|execve) ;; *) fail "trace=%file shows $n" ;; esac
done
assert_contains "$TMP/out" 'access("no-such-file"' "trace=%file"
d -e trace=network
assert_eq "$(names)" "bind getsockname socket " "syscalls shown by trace=network"

note "-e trace=!NAME"
d -e 'trace=!openat'
grep -q '^openat(' "$TMP/out" && fail "trace=!openat shows openat"
assert_contains "$TMP/out" 'read(3, "a\tb' "trace=!openat keeps read"

note "-e read=FD"
d -e trace=read -e read=3
grep -A1 -F 'read(3, "a\tb' "$TMP/out" | grep -qF ' | 00000 61 09 62 01 02 37 0a' ||
    { show "$TMP/out"; fail "read=3 hex dump of the bytes read"; }
d -e trace=read -e read=9
grep -q ' | 00000' "$TMP/out" && fail "read=9 dumps fd 3's data"

note "-e write=FD: the bytes written, read from the replayed program's memory"
d -e trace=write -e write=3
hexdump=' | 00000 61 09 62 01 02 37 0a                              a.b..7.          |'
grep -A1 -F 'write(3, ' "$TMP/out" | tail -1 | grep -qxF "$hexdump" ||
    { show "$TMP/out"; fail "write=3 hex+ASCII dump of the bytes written"; }
assert_eq "$(grep -c ' | 00000' "$TMP/out")" 1 "dumps with write=3 (the pipe's write is not fd 3)"
grep -q 'bytes written: rp stores only their hash' "$TMP/out" && fail "write=3 without its bytes"

note "-e write=FD: data that differs from the recorded hash is a divergence"
cp "$db" "$TMP/bad.db"
sqlite3 "$TMP/bad.db" "UPDATE events SET in_hash = in_hash + 1 WHERE seq = (SELECT seq FROM listing WHERE what = 'write' AND a0 = 3)"
run "$TMP/out" "$TMP/err" "$RP" dump -f -e trace=write -e write=3 "$TMP/bad.db"
assert_eq "$STATUS" 125 "rp dump -e write=3 of a trace whose write hash differs"
assert_contains "$TMP/err" "rp: " "the divergence report"
assert_contains "$TMP/err" "the data it sends differs from the recording" "the divergence report"
grep -q ' | 00000' "$TMP/out" && { show "$TMP/out"; fail "bytes shown that differ from the recording"; }

# -e write=3 of a copy of the trace with meta KEY=VALUE, which takes its
# replay away: the count written, and WHY on stderr.
without_replay() {
    local copy=$TMP/$1.db
    cp "$db" "$copy"
    sqlite3 "$copy" "INSERT OR REPLACE INTO meta VALUES ('$1', '$2')"
    "$RP" dump -f -e trace=write -e write=3 "$copy" >"$TMP/out" 2>"$TMP/err" ||
        { show "$TMP/err"; fail "rp dump -e write=3 with $1=$2"; }
    grep -A1 -F 'write(3, ' "$TMP/out" | grep -qF ' | (7 bytes written: rp stores only their hash' ||
        { show "$TMP/out"; fail "write=3 with $1=$2: the count written"; }
    assert_contains "$TMP/err" "rp: dump -e write=: ${3//COPY/$copy}" "why there is no replay"
}

note "-e write=FD without a replay: the count written"
without_replay replayable 0 "COPY was captured without replay support"
note "-e write=FD when the replay refuses the trace: the count written"
without_replay lost_records 3 "the recording lost 3 record(s)"

d -e trace=write -e read=3
grep -q ' | ' "$TMP/out" && { show "$TMP/out"; fail "read=3 reports the data written to fd 3"; }

note "-s N"
d -s 2 -e trace=read
assert_contains "$TMP/out" 'read(3, "a\t"..., 64) = 7' "-s 2"

note "-f"
d
before=$(sed -n '1,/^\[pid /p' "$TMP/out" | grep -c '^\[pid ')
assert_eq "$before" 1 "no [pid N] prefix before the first fork"
grep -qE '^\[pid +[0-9]+\] \+\+\+ exited with 5 \+\+\+$' "$TMP/out" || { show "$TMP/out"; fail "child exit prefixed"; }
"$RP" dump "$db" >"$TMP/plain" || fail "rp dump"
head -1 "$TMP/plain" | grep -qE '^ +1 +[0-9]+  execve\(' || fail "without -f: event number and tid columns"

note "--json"
"$RP" dump --json "$db" >"$TMP/json" || fail "rp dump --json"
python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert {"seq", "tid", "type"} <= e.keys(), e
    if e["type"] == "syscall":
        assert isinstance(e["args"], list) and len(e["raw_args"]) == 6, e
        assert all(int(r, 16) < 2**64 for r in e["raw_args"]), e
    n += 1
print(n)' "$TMP/json" >"$TMP/json.count" || fail "--json lines are not JSON objects"
events=$("$RP" info "$db" | sed -n 's/^events: *//p')
assert_eq "$(cat "$TMP/json.count")" "$events" "--json objects vs rp info events"
python3 -c '
import json, sys
sys.exit(not any(e.get("name") == "openat" and e["args"][2] == "O_WRONLY|O_CREAT|O_TRUNC"
                 for e in map(json.loads, open(sys.argv[1]))))' "$TMP/json" ||
    fail "--json carries the decoded arguments"

note "bad expressions"
for e in trace=nosuch read=x bogus=1; do
    run "$TMP/out" "$TMP/err" "$RP" dump -e "$e" "$db"
    assert_rp_error "$TMP/err" "$STATUS" "rp dump -e $e"
    assert_eq "$STATUS" 125 "rp dump -e $e status"
done
echo PASS
