#!/bin/bash
# The flight recorder (issue 14): `rp record --ring SIZE --save-on WHEN`
# keeps a snapshot and the events after it, so the trace stays bounded
# however long the program runs; the trace it keeps replays the crash from
# the latest snapshot. SIGUSR2 (rp save) writes the current window meanwhile.
. "$(dirname "$0")/lib.sh"

command -v ab >/dev/null || fail "ab (apache2-utils, build.sh) is not installed"
RING=4M
RING_BYTES=$((4 << 20))

# serve NAME [RP OPTIONS...]: the HTTP server recorded with --ring into
# $TMP/NAME.db, in the background (RP_PID), once it listens (PORT).
# SERVER_ARGS: more arguments for it.
SERVER_ARGS=()
serve() {
    local name=$1
    shift
    "$RP" record --backend=ptrace --ring "$RING" "$@" -o "$TMP/$name.db" -- \
        "$SAMPLES/sample_http_server" 0 "${SERVER_ARGS[@]}" >"$TMP/$name.out" \
        2>"$TMP/$name.rec.err" </dev/null &
    RP_PID=$!
    BG_PIDS+=("$RP_PID")
    for _ in $(seq 1 600); do
        PORT=$(sed -n 's/^listening on //p' "$TMP/$name.out")
        [ -n "$PORT" ] && return 0
        kill -0 "$RP_PID" 2>/dev/null || break
        sleep 0.1
    done
    show "$TMP/$name.rec.err"
    fail "$name: the server did not start"
}

# load N NAME: N requests, one at a time (ab -c 1), all answered.
load() {
    ab -q -n "$1" -c 1 "http://127.0.0.1:$PORT/key?name=$2" >"$TMP/ab.out" 2>&1 ||
        { show "$TMP/ab.out"; fail "ab -n $1 failed"; }
    grep -q "^Failed requests: *0$" "$TMP/ab.out" || { show "$TMP/ab.out"; fail "ab: failed requests"; }
}

# crash NAME: the request that crashes the server; rp exits 128+SIGSEGV.
crash() {
    ab -q -n 1 "http://127.0.0.1:$PORT/key?name=" >/dev/null 2>&1
    wait "$RP_PID"
    REC_STATUS=$?
    assert_eq "$REC_STATUS" 139 "$1: rp record's status after the crash"
}

meta() { sqlite3 "$1" "select value from meta where key = '$2'"; }

# replays_the_crash NAME: NAME.db replays to the same SIGSEGV, printing the
# end of what the recording printed (NAME.out).
replays_the_crash() {
    local n=$1
    run "$TMP/$n.rep" "$TMP/$n.rep.err" "$RP" replay "$TMP/$n.db"
    assert_eq "$STATUS" 139 "$n: replay's status"
    local lines
    lines=$(wc -l <"$TMP/$n.rep")
    [ "$lines" -gt 10 ] || { show "$TMP/$n.rep.err"; fail "$n: the replay printed $lines lines"; }
    # (bytes, not lines: the logger thread may have written half a line last)
    tail -c "$(stat -c %s "$TMP/$n.rep")" "$TMP/$n.out" >"$TMP/$n.rec"
    assert_same_file "$TMP/$n.rec" "$TMP/$n.rep" "$n: replay stdout vs the end of the recording's"
}

# The temporary trace (.NAME.db.rp-XXXXXX) while rp writes it: its largest size.
sample_size() { # NAME -> MAX_SIZE (runs until RP_PID ends)
    local max=0 f s
    while kill -0 "$RP_PID" 2>/dev/null; do
        for f in "$TMP"/."$1".db.rp-*; do
            [ -f "$f" ] || continue
            s=$(stat -c %s "$f" 2>/dev/null || echo 0)
            [ "$s" -gt "$max" ] && max=$s
        done
        echo "$max" >"$TMP/$1.maxsize"
        sleep 0.05
    done
}

# ---- a bounded trace that replays the crash ----
serve c
sample_size c &
BG_PIDS+=($!)
load 6000 abc
load 6000 defgh
crash c
wait
[ -f "$TMP/c.db" ] || { show "$TMP/c.rec.err"; fail "c: no trace kept after the crash"; }
snapshots=$(meta "$TMP/c.db" ring_snapshots)
dropped=$(meta "$TMP/c.db" ring_dropped_events)
[ "$snapshots" -ge 2 ] || fail "c: $snapshots snapshots taken (want several)"
[ "$dropped" -gt 1000 ] || fail "c: $dropped events dropped"
# Disk stays bounded: the file never grew past 3x the ring (the sampled
# maximum and rp's own record of it agree on the bound).
for max in "$(cat "$TMP/c.maxsize")" "$(meta "$TMP/c.db" ring_max_file_bytes)"; do
    [ "$max" -le $((3 * RING_BYTES)) ] || fail "c: the trace grew to $max bytes (ring $RING_BYTES)"
done
first=$(sqlite3 "$TMP/c.db" 'select min(seq) from events')
assert_eq "$((first > $(meta "$TMP/c.db" snapshot_seq)))" 1 "c: the first event comes after the snapshot"
run "$TMP/c.info" "$TMP/c.info.err" "$RP" info "$TMP/c.db"
assert_eq "$STATUS" 0 "c: rp info"
assert_contains "$TMP/c.info" "ring:           $RING_BYTES bytes, $snapshots snapshots, $dropped events dropped" \
    "c: rp info's ring line"
assert_contains "$TMP/c.info" "snapshot:       taken after event $(meta "$TMP/c.db" snapshot_seq)" \
    "c: rp info's snapshot line"
run "$TMP/c.chk" "$TMP/c.chk.err" "$RP" check "$TMP/c.db"
assert_eq "$STATUS" 0 "c: rp check"
# Replay starts at the snapshot: its output is the recording's last lines,
# up to the crash, and it dies of the same SIGSEGV.
replays_the_crash c
grep -q "GET /key?name=defgh -> 200$" "$TMP/c.rep" || fail "c: the replay misses the last requests"

# ---- three threads: the request lines go through a pipe to a logger thread,
# often blocked in read when a snapshot is due, and a third one is always
# blocked in read: each is stopped, and makes its read again after the
# snapshot ----
SERVER_ARGS=(0 logger)
RING=1M
serve t
load 3000 abc
crash t
SERVER_ARGS=()
RING=4M
[ "$(meta "$TMP/t.db" ring_snapshots)" -ge 2 ] || fail "t: fewer than 2 snapshots"
assert_eq "$(sqlite3 "$TMP/t.db" 'select count(*) from snapshot_threads')" 3 "t: threads in the snapshot"
[ -n "$(meta "$TMP/t.db" snapshot_seq)" ] || fail "t: the trace does not start at a periodic snapshot"
replays_the_crash t

# ---- -p: attached to a server that has served already; the trace starts
# from a periodic snapshot, not the attach's ----
"$SAMPLES/sample_http_server" 0 >"$TMP/p.out" 2>&1 </dev/null &
SERVER_PID=$!
BG_PIDS+=("$SERVER_PID")
for _ in $(seq 1 600); do
    PORT=$(sed -n 's/^listening on //p' "$TMP/p.out")
    [ -n "$PORT" ] && break
    sleep 0.1
done
load 50 before
"$RP" record --ring 1M -p "$SERVER_PID" -o "$TMP/p.db" 2>"$TMP/p.rec.err" </dev/null &
RP_PID=$!
BG_PIDS+=("$RP_PID")
for _ in $(seq 1 600); do
    grep -q "attached to process" "$TMP/p.rec.err" && break
    sleep 0.1
done
load 3000 abc
crash p
[ "$(meta "$TMP/p.db" ring_snapshots)" -ge 2 ] || fail "p: fewer than 2 snapshots"
[ -n "$(meta "$TMP/p.db" snapshot_seq)" ] || fail "p: the trace does not start at a periodic snapshot"
replays_the_crash p

# ---- a program that forks: no snapshot while a child runs (said on stderr
# and in the meta, nothing dropped meanwhile), snapshots again once alone ----
run "$TMP/f.out" "$TMP/f.err" "$RP" record --backend=ptrace --ring 64K --save-on exit \
    -o "$TMP/f.db" -- /bin/bash -c 'for i in $(seq 1 150); do /bin/echo $i; done'
assert_eq "$STATUS" 0 "f: rp record's status"
assert_contains "$TMP/f.err" "rp: --ring: the program runs a second process: no snapshot can be taken" \
    "f: rp says why it keeps every event"
assert_eq "$(meta "$TMP/f.db" ring_unpruned)" "the program runs a second process" "f: meta ring_unpruned"
[ "$(meta "$TMP/f.db" ring_snapshots)" -ge 2 ] || fail "f: no snapshots between the children"
run "$TMP/f.rep" "$TMP/f.rep.err" "$RP" replay "$TMP/f.db"
assert_eq "$STATUS" 0 "f: replay's status"
[ -s "$TMP/f.rep" ] || { show "$TMP/f.rep.err"; fail "f: the replay printed nothing"; }
tail -c "$(stat -c %s "$TMP/f.rep")" "$TMP/f.out" >"$TMP/f.rec"
assert_same_file "$TMP/f.rec" "$TMP/f.rep" "f: replay stdout vs the end of the recording's"

# ---- --save-on crash (the default) keeps no trace of a normal exit ----
run "$TMP/n.out" "$TMP/n.err" "$RP" record --backend=ptrace --ring "$RING" -o "$TMP/n.db" -- \
    "$SAMPLES/sample_pids"
assert_eq "$STATUS" 0 "n: rp record's status"
[ ! -e "$TMP/n.db" ] || fail "n: --save-on crash kept the trace of a normal exit"
assert_contains "$TMP/n.err" "rp: the program exited with 0; --save-on crash keeps no trace" "n: rp says so"
[ -z "$(ls -A "$TMP" | grep '^\.n\.db')" ] || fail "n: a temporary trace is left behind"
run "$TMP/e.out" "$TMP/e.err" "$RP" record --backend=ptrace --ring "$RING" --save-on exit \
    -o "$TMP/e.db" -- "$SAMPLES/sample_pids"
assert_eq "$STATUS" 0 "e: rp record's status"
[ -f "$TMP/e.db" ] || fail "e: --save-on exit kept no trace"
run "$TMP/b.out" "$TMP/b.err" "$RP" record --ring 12X -- /bin/true
assert_rp_error "$TMP/b.err" "$STATUS" "--ring 12X"
# The kernel backends do not have it yet: one line, exit 125.
run "$TMP/k.out" "$TMP/k.err" "$RP" record --backend=bpf --ring "$RING" -o "$TMP/k.db" -- /bin/true
assert_rp_error "$TMP/k.err" "$STATUS" "--ring with --backend=bpf"
assert_eq "$STATUS" 125 "--ring with --backend=bpf: status"

# ---- SIGUSR2 saves the current window; recording goes on ----
serve u --save-on never
load 3000 abc
kill -USR2 "$RP_PID"
for _ in $(seq 1 600); do
    grep -q "saved the current window" "$TMP/u.rec.err" && break
    sleep 0.1
done
saved=$(sed -n 's/^rp: saved the current window ([0-9]* events) to //p' "$TMP/u.rec.err")
assert_eq "$saved" "$TMP/u-saved-1.db" "u: the saved window's name"
lines_at_save=$(wc -l <"$TMP/u.out")
load 200 xyz  # still recording: the server answers
# rp save does the same, and only to an rp process.
run "$TMP/s.out" "$TMP/s.err" "$RP" save "$RP_PID"
assert_eq "$STATUS" 0 "rp save"
for _ in $(seq 1 600); do
    grep -q "to $TMP/u-saved-2.db$" "$TMP/u.rec.err" && break
    sleep 0.1
done
[ -f "$TMP/u-saved-2.db" ] || { show "$TMP/u.rec.err"; fail "u: rp save wrote no second window"; }
run "$TMP/s.out" "$TMP/s.err" "$RP" save "$$"
assert_rp_error "$TMP/s.err" "$STATUS" "rp save to a process that is not rp"
load 100 xyz
crash u
[ ! -e "$TMP/u.db" ] || fail "u: --save-on never kept the trace"
assert_contains "$TMP/u.rec.err" "--save-on never keeps no trace" "u: rp says so"
run "$TMP/u.chk" "$TMP/u.chk.err" "$RP" check "$saved"
assert_eq "$STATUS" 0 "u: rp check of the saved window"
run "$TMP/u.rep" "$TMP/u.rep.err" "$RP" replay "$saved"
n=$(wc -l <"$TMP/u.rep")
[ "$n" -gt 0 ] || { show "$TMP/u.rep.err"; fail "u: the saved window's replay printed nothing"; }
head -n "$lines_at_save" "$TMP/u.out" | tail -n "$n" >"$TMP/u.rec"
assert_same_file "$TMP/u.rec" "$TMP/u.rep" "u: the saved window's replay vs the recording up to the save"
echo PASS
