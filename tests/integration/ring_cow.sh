#!/bin/bash
# Snapshots from a frozen copy (record/cow_copy.h, issue 14): the process
# forks a copy of itself while held, runs on at once, and rp reads the
# copy's memory meanwhile. The program here changes every page between two
# syscalls, so a replay from the snapshot matches the recording only if the
# contents are one instant; it also counts what the copy must not show it.
. "$(dirname "$0")/lib.sh"

meta() { sqlite3 "$1" "select value from meta where key = '$2'"; }

# ---- --ring, a program rp started: the copy is rp's child, never the
# program's. Under bpf the copy is a child of a traced process, which the
# kernel side traces from its fork: it is forgotten there once held, so
# nothing of it enters the trace and its death takes no number ----
find_backends
for backend in "${backends[@]}"; do
    r=r_$backend
    # bpf's records are smaller: rounds 5 ms apart fill the ring as often.
    args=(16 100)
    [ "$backend" = bpf ] && args=(16 200 5)
    run "$TMP/$r.out" "$TMP/$r.err" "$RP" record --backend="$backend" --ring 64K --save-on exit \
        -o "$TMP/$r.db" -- "$SAMPLES/sample_cow_mutator" "${args[@]}"
    assert_eq "$STATUS" 0 "$r: rp record's status"
    [ "$(meta "$TMP/$r.db" ring_snapshots)" -ge 3 ] || fail "$r: fewer than 3 snapshots"
    [ -n "$(meta "$TMP/$r.db" snapshot_seq)" ] || fail "$r: the trace does not start at a periodic snapshot"
    assert_eq "$(meta "$TMP/$r.db" snapshot_copy)" fork "$r: meta snapshot_copy"
    assert_eq "$(meta "$TMP/$r.db" lost_records)" 0 "$r: meta lost_records"
    assert_eq "$(tail -1 "$TMP/$r.out")" "sigchld 0 children 0 at the end 0" \
        "$r: what the program saw of the copies"
    assert_eq "$(sqlite3 "$TMP/$r.db" 'select count(distinct tid) from events')" 1 \
        "$r: threads with events (the copies must have none)"
    [ "$(sqlite3 "$TMP/$r.db" 'select count(*) from snapshot_mem')" -ge 16 ] ||
        fail "$r: the snapshot's contents are not in the trace"
    run "$TMP/$r.info" "$TMP/$r.info.err" "$RP" info "$TMP/$r.db"
    assert_contains "$TMP/$r.info" "contents read from a frozen copy (fork) after the pause" "$r: rp info"
    run "$TMP/$r.chk" "$TMP/$r.chk.err" "$RP" check "$TMP/$r.db"
    assert_eq "$STATUS" 0 "$r: rp check's status"
    run "$TMP/$r.rep" "$TMP/$r.rep.err" "$RP" replay "$TMP/$r.db"
    assert_eq "$STATUS" 0 "$r: replay's status"
    [ "$(wc -l <"$TMP/$r.rep")" -gt 3 ] || { show "$TMP/$r.rep.err"; fail "$r: the replay printed too little"; }
    tail -c "$(stat -c %s "$TMP/$r.rep")" "$TMP/$r.out" >"$TMP/$r.rec"
    assert_same_file "$TMP/$r.rec" "$TMP/$r.rep" "$r: replay stdout vs the end of the recording's"
    ls -A "$TMP" | grep -q -- '-snap' && fail "$r: a side file of a frozen copy was left: $(ls -A "$TMP")"
done

# ---- a process that cannot fork (RLIMIT_NPROC of 1 for a user without
# CAP_SYS_RESOURCE): read while held, as before, and said so ----
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v prlimit >/dev/null; then
    run "$TMP/n.out" "$TMP/n.err" "$RP" record --backend=ptrace --ring 64K --save-on exit \
        -o "$TMP/n.db" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
        prlimit --nproc=1 "$SAMPLES/sample_cow_mutator" 16 100
    assert_eq "$STATUS" 0 "n: rp record's status"
    assert_eq "$(meta "$TMP/n.db" snapshot_copy)" \
        "stopped: the process cannot fork (clone: Resource temporarily unavailable)" \
        "n: meta snapshot_copy"
    run "$TMP/n.info" "$TMP/n.info.err" "$RP" info "$TMP/n.db"
    assert_contains "$TMP/n.info" "contents read while stopped: the process cannot fork" "n: rp info"
    run "$TMP/n.rep" "$TMP/n.rep.err" "$RP" replay "$TMP/n.db"
    assert_eq "$STATUS" 0 "n: replay's status"
    tail -c "$(stat -c %s "$TMP/n.rep")" "$TMP/n.out" >"$TMP/n.rec"
    assert_same_file "$TMP/n.rec" "$TMP/n.rep" "n: replay stdout vs the end of the recording's"
else
    note "n: skipped (needs root, setpriv and prlimit)"
fi

# ---- -p: the copy is the process's child (a zombie once read), reaped by
# rp in the process at the detach; never a SIGCHLD ----
"$SAMPLES/sample_cow_mutator" 32 250 20 >"$TMP/p.out" 2>&1 </dev/null &
SERVER_PID=$!
BG_PIDS+=("$SERVER_PID")
for _ in $(seq 1 100); do grep -q '^round 3 ' "$TMP/p.out" && break; sleep 0.1; done
"$RP" record --backend=ptrace -p "$SERVER_PID" -o "$TMP/p.db" 2>"$TMP/p.rec.err" </dev/null &
RP_PID=$!
BG_PIDS+=("$RP_PID")
for _ in $(seq 1 300); do grep -q "attached to process" "$TMP/p.rec.err" && break; sleep 0.1; done
grep -q "attached to process" "$TMP/p.rec.err" || { show "$TMP/p.rec.err"; fail "p: rp did not attach"; }
sleep 1
kill -INT "$RP_PID"
wait "$RP_PID"
assert_eq "$?" 0 "p: rp record's status"
wait "$SERVER_PID"
assert_eq "$?" 0 "p: the program's status"
assert_eq "$(meta "$TMP/p.db" snapshot_copy)" fork "p: meta snapshot_copy"
last=$(tail -1 "$TMP/p.out")
case "$last" in
    "sigchld 0 children "[01]" at the end 0") ;;
    *) fail "p: what the program saw of the copy: '$last'" ;;
esac
run "$TMP/p.rep" "$TMP/p.rep.err" "$RP" replay "$TMP/p.db"
assert_eq "$STATUS" 0 "p: replay's status"
n=$(wc -l <"$TMP/p.rep")
[ "$n" -gt 3 ] || { show "$TMP/p.rep.err"; fail "p: the replay printed too little"; }
grep -n -x -F -- "$(head -1 "$TMP/p.rep")" "$TMP/p.out" >"$TMP/p.at" || fail "p: the replay's first line was never printed"
from=$(cut -d: -f1 "$TMP/p.at")
tail -n +"$from" "$TMP/p.out" | head -n "$n" >"$TMP/p.rec"
assert_same_file "$TMP/p.rec" "$TMP/p.rep" "p: replay stdout vs the recording's from the attach"
ls -A "$TMP" | grep -q -- '-snap' && fail "p: a side file of a frozen copy was left: $(ls -A "$TMP")"
exit 0
