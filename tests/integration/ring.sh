#!/bin/bash
# The flight recorder (issue 14): `rp record --ring SIZE --save-on WHEN`
# keeps a snapshot and the events after it, so the trace stays bounded
# however long the program runs; the trace it keeps replays the crash from
# the latest snapshot. SIGUSR2 (rp save) writes the current window meanwhile.
. "$(dirname "$0")/lib.sh"

RING=4M
RING_BYTES=$((4 << 20))
. "$(dirname "$0")/ring_lib.sh"

# ---- a bounded trace that replays the crash ----
serve c
sample_size c &
BG_PIDS+=($!)
load 6000 abc
load 6000 defgh
crash c
wait
[ -f "$TMP/c.db" ] || { show "$TMP/c.rec.err"; fail "c: no trace kept after the crash"; }
kept_window_is_bounded c
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
RING=1M attach_after_load p 50
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

# ---- the trace starts from a snapshot taken while the program's stdout
# was elsewhere (fd 1 on /dev/null, the terminal's file kept as fd 3) and in
# another directory: replay prints what fd 3 wrote once it was fd 1 again,
# not what went to /dev/null; the snapshot holds both facts ----
mkdir -p "$TMP/elsewhere"
REDIRECTED='cd "$0" && exec 3>&1 >/dev/null; i=0
while [ $i -lt 20000 ]; do i=$((i+1)); echo $i; done; exec >&3 3>&-; echo done $i'
for b in ptrace bpf; do
    run "$TMP/d.out" "$TMP/d.err" "$RP" record --backend=$b --ring 64K --save-on exit \
        -o "$TMP/d$b.db" -- /bin/sh -c "$REDIRECTED" "$TMP/elsewhere"
    assert_eq "$STATUS" 0 "d $b: rp record's status"
    assert_eq "$(cat "$TMP/d.out")" "done 20000" "d $b: the recording's output"
    [ "$(meta "$TMP/d$b.db" ring_snapshots)" -ge 3 ] || fail "d $b: fewer than 3 snapshots"
    assert_eq "$(sqlite3 "$TMP/d$b.db" 'select group_concat(fd || ":" || target) from
        (select * from snapshot_output_fds order by fd)')" "2:2,3:1" "d $b: the snapshot's output fds"
    assert_eq "$(sqlite3 "$TMP/d$b.db" "select value from snapshot where key='cwd'")" \
        "$TMP/elsewhere" "d $b: the snapshot's cwd"
    run "$TMP/d.rep" "$TMP/d.rep.err" "$RP" replay "$TMP/d$b.db"
    assert_eq "$STATUS" 0 "d $b: replay's status"
    assert_same_file "$TMP/d.out" "$TMP/d.rep" "d $b: replay stdout vs the recording's"
done
# As a trace of an older rp, which did not say: replay warns that it takes
# fds 1 and 2 (and so prints what went to /dev/null).
sqlite3 "$TMP/dptrace.db" "drop table snapshot_output_fds; delete from snapshot where key='cwd'"
run "$TMP/d.rep" "$TMP/d.rep.err" "$RP" replay "$TMP/dptrace.db"
assert_contains "$TMP/d.rep.err" "rp: warning: this trace's snapshot (from an older rp) does not say which descriptors were the program's stdout and stderr" "d: older trace"

# ---- the program raised its stack limit before the snapshot (the setrlimit
# is among the dropped events), then grew its stack past the start's 8 MiB:
# the snapshot holds the limit then, and replay's restored process gets it
# (with the start's limit, replay diverged at a SIGSEGV) ----
for b in ptrace bpf; do
    run "$TMP/s.out" "$TMP/s.err" /bin/sh -c 'ulimit -S -s 8192 && exec "$@"' sh "$RP" record \
        --backend=$b --ring 64K --save-on exit -o "$TMP/s$b.db" -- "$SAMPLES/sample_deep_stack" 64 32 30000
    assert_eq "$STATUS" 0 "s $b: rp record's status"
    assert_eq "$(cat "$TMP/s.out")" "deep 32 (0)" "s $b: the recording's output"
    assert_eq "$(meta "$TMP/s$b.db" stack_limit)" 8388608 "s $b: the start's stack limit"
    assert_eq "$(sqlite3 "$TMP/s$b.db" "select value from snapshot where key='stack_limit'")" \
        67108864 "s $b: the snapshot's stack limit"
    "$RP" dump "$TMP/s$b.db" >"$TMP/s.dump" 2>&1
    grep -q "^  stack limit: 67108864 bytes$" "$TMP/s.dump" ||
        fail "s $b: rp dump does not show the snapshot's stack limit"
    run "$TMP/s.rep" "$TMP/s.rep.err" "$RP" replay "$TMP/s$b.db"
    assert_eq "$STATUS" 0 "s $b: replay's status"
    assert_same_file "$TMP/s.out" "$TMP/s.rep" "s $b: replay stdout vs the recording's"
done

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
# Processes by name have no snapshot: one line, exit 125.
run "$TMP/k.out" "$TMP/k.err" "$RP" record --name true --ring "$RING" -o "$TMP/k.db"
assert_rp_error "$TMP/k.err" "$STATUS" "--ring with --name"
assert_eq "$STATUS" 125 "--ring with --name: status"

# ---- SIGUSR2 saves the current window; recording goes on ----
saves_on_request
echo PASS
