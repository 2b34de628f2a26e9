# rp timeline writes Chrome trace-event JSON: it parses, has one track per
# thread, and one slice or instant per event of the trace (as rp info counts).
source "$(dirname "$0")/lib.sh"

check() { # NAME
    local db=$TMP/$1.db
    run "$TMP/$1.out" "$TMP/$1.err" "$RP" timeline "$db" -o "$TMP/$1.json"
    assert_eq "$STATUS" 0 "rp timeline $1"
    local events
    events=$("$RP" info "$db" | sed -n 's/^events: *//p')
    python3 - "$TMP/$1.json" "$events" "$(sqlite3 "$db" 'select count(*) from tasks')" \
        "$(sqlite3 "$db" 'select count(*) from events where kind = 1')" \
        "$(sqlite3 "$db" 'select count(*) from tasks where tid = tgid')" <<'PY' || fail "$1: timeline JSON"
import json, sys
doc = json.load(open(sys.argv[1]))
events, tasks, syscalls, processes = (int(x) for x in sys.argv[2:6])
ev = doc["traceEvents"]
slices = [e for e in ev if e["ph"] == "X"]
instants = [e for e in ev if e["ph"] == "i"]
threads = [e for e in ev if e["ph"] == "M" and e["name"] == "thread_name"]
assert len(slices) + len(instants) == events, (len(slices), len(instants), events)
assert len(slices) == syscalls, (len(slices), syscalls)
assert len(threads) == tasks, (len(threads), tasks)
procs = [e for e in ev if e["ph"] == "M" and e["name"] == "process_name"]
assert len(procs) == processes and all(p["args"]["name"] for p in procs), procs
assert all(e["dur"] >= 1 and "call" in e["args"] for e in slices)
assert {(e["pid"], e["tid"]) for e in slices + instants} <= {(t["pid"], t["tid"]) for t in threads}
print(len(slices), "slices", len(instants), "instants", len(threads), "threads")
PY
}

record threads "$SAMPLES/sample_threads"
check threads
record tcp "$SAMPLES/sample_tcp_loopback"
check tcp
grep -q '"cat":"signal"' "$TMP/tcp.json" || fail "SIGCHLD instant"

run "$TMP/out" "$TMP/err" "$RP" timeline "$TMP/tcp.db" -o /nonexistent/dir/x.json
assert_rp_error "$TMP/err" "$STATUS" "rp timeline to an unwritable path"
echo PASS
