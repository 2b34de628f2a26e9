#!/bin/bash
# `rp record -p PID --backend=$ATTACH_BACKEND` of a multithreaded process
# (issue 14; ptrace, and bpf as ctest's bpf.attach_threads):
# samples/attach_threads (a main thread reading commands from a FIFO, two
# workers printing random bytes in a loop) is attached to while its workers
# run; they go on printing, then either stop and are joined (pthread_join
# waits for the kernel to clear each worker's tid: replay must have restored
# their clear_child_tid) or one of them crashes. Replay restores the three
# threads from the snapshot and must print what was printed after the attach
# and end the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach_lib.sh"

# attach_run NAME COMMAND STATUS: attach, let the workers (both) print at
# least 6 more lines while recorded, send COMMAND, expect rp (and the program) to end
# with STATUS. $TMP/NAME.rec: the program's output after the attach, which
# is the end of its output of which replay must print exactly as much: the
# lines are random, so the same tail means the same run.
attach_run() {
    local name=$1 cmd=$2 want=$3
    start_threads "$name"
    attach "$name"
    wait_workers "$name" 6
    echo "$cmd" >"$TMP/$name.fifo"
    wait "$RP_PID"
    assert_eq "$?" "$want" "$name: rp record -p's exit status"
    wait "$SERVER_PID"
    assert_eq "$?" "$want" "$name: the program's own status"
    assert_eq "$(sqlite3 "$TMP/$name.db" 'select count(*) from snapshot_threads')" 3 \
        "$name: threads in the snapshot"
    assert_eq "$(sqlite3 "$TMP/$name.db" \
        'select count(*) from snapshot_thread_exit where clear_child_tid > 0')" 3 \
        "$name: threads of the snapshot with their clear_child_tid"
    run "$TMP/$name.check" "$TMP/$name.check.err" "$RP" check "$TMP/$name.db"
    assert_eq "$STATUS" 0 "$name: rp check"
    local i lines
    for i in 1 2; do
        run "$TMP/$name.rep$i" "$TMP/$name.rep$i.err" "$RP" replay "$TMP/$name.db"
        [ "$STATUS" -eq "$want" ] || { show "$TMP/$name.rep$i.err"; \
            fail "$name: replay $i exited $STATUS, recording exited $want"; }
        lines=$(wc -l <"$TMP/$name.rep$i")
        [ "$lines" -ge 6 ] || { show "$TMP/$name.rep$i"; fail "$name: replay $i printed $lines lines"; }
        tail -n "$lines" "$TMP/$name.out" >"$TMP/$name.rec"
        assert_same_file "$TMP/$name.rec" "$TMP/$name.rep$i" "$name: replay $i vs the end of the output"
    done
    # Both workers printed while recorded.
    grep -q '^w0 ' "$TMP/$name.rec" && grep -q '^w1 ' "$TMP/$name.rec" ||
        { show "$TMP/$name.rec"; fail "$name: not both workers in the recorded output"; }
}

attach_run join stop 3
assert_eq "$(tail -1 "$TMP/join.rec")" "joined" "join: the last line"
attach_run crash crash 139

# A trace of an older rp has no clear_child_tid: several threads cannot be
# restored exactly, so not at all.
cp "$TMP/join.db" "$TMP/old.db"
sqlite3 "$TMP/old.db" 'DROP TABLE snapshot_thread_exit' || fail "sqlite3"
run "$TMP/old.out" "$TMP/old.err" "$RP" replay "$TMP/old.db"
assert_rp_error "$TMP/old.err" "$STATUS" "replay of a snapshot without clear_child_tid"
assert_contains "$TMP/old.err" "does not hold thread" "its message"
echo PASS
