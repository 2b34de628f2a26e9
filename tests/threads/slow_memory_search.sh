#!/bin/bash
# A switch in a three-instruction loop whose registers repeat at every pass
# (`sample_memory_loop tight`): only the memory digest tells the passes apart,
# and the switch is millions of passes in, each a ptrace stop in replay. Such
# a replay takes minutes; it must say so within seconds, not look hung
# (Replayer::say_slow_memory_search). The replay is then stopped: its end
# is what memory_point.sh checks on a shorter loop.
#   slow_memory_search.sh BACKEND    (bpf or ptrace; exit 77 when unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"

# Whether trace $1 has a preemption in [$2, $3).
switched_in_loop() {
    local ip
    for ip in $("$RP" dump --json "$1" | sed -n 's/.*"type":"preempt".*"ip":"\(0x[0-9a-f]*\)".*/\1/p'); do
        ((ip >= $2 && ip < $3)) && return 0
    done
    return 1
}

for try in $(seq 5); do
    "$RP" record -q -b "$backend" -o "$TMP/t.db" -- "$SAMPLES/sample_memory_loop" tight \
        >"$TMP/rec" 2>"$TMP/rec.err" || { show "$TMP/rec.err"; fail "recording failed"; }
    read -r _ body _ end <"$TMP/rec.err"
    [ -n "$end" ] || { show "$TMP/rec.err"; fail "the sample did not say where its loop is"; }
    switched_in_loop "$TMP/t.db" "$body" "$end" || continue
    # The notice is due after 5 s of searching; 30 s leave room for a loaded
    # machine. The replay is stopped once it is there.
    timeout 30 "$RP" replay "$TMP/t.db" >"$TMP/rep" 2>"$TMP/rep.err" &
    replay=$!
    for _ in $(seq 300); do
        grep -q "one ptrace stop each" "$TMP/rep.err" && kill "$replay" 2>/dev/null
        kill -0 "$replay" 2>/dev/null || break
        sleep 0.1
    done
    wait "$replay"
    status=$?
    if grep -q "only its memory tells the passes apart, one ptrace stop each" "$TMP/rep.err"; then
        echo "ok: try $try: $(grep -o 'event [0-9]* (thread [0-9]*)' "$TMP/rep.err" | head -1)" \
            "said why its search is slow: $(grep -o '([0-9]* in [0-9]* s so far)' "$TMP/rep.err")"
        exit 0
    fi
    # A switch early in the loop is found at once: the replay ends, and must match.
    [ "$status" -eq 124 ] && { show "$TMP/rep.err"; fail "a long search said nothing"; }
    [ "$status" -eq 0 ] || { show "$TMP/rep.err"; fail "replay exited $status"; }
    assert_same_file "$TMP/rep" "$TMP/rec" "replay output"
    note "try $try: the switch was found within seconds; recording again"
done
fail "no recording had a switch far into the loop ($try tries)"
