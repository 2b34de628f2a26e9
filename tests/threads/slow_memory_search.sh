#!/bin/bash
# A switch in a three-instruction loop whose registers repeat at every pass
# (`sample_memory_loop tight`), millions of passes in: only the memory digest
# tells the passes apart. The trampoline hashes the digest's windows itself,
# so the search stops the thread once and the replay ends in seconds with the
# recorded output. With RP_POINT_SEARCH=registers (the trampoline compares
# registers only, as on arm64) every pass is a ptrace stop and the search
# takes minutes: replay must say so within seconds, not look hung
# (Replayer::say_slow_memory_search); that replay is then stopped.
#   slow_memory_search.sh BACKEND    (bpf or ptrace; exit 77 when unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"

# replay_until_notice: replays $TMP/t.db with the registers-only trampoline
# until it says its search is slow (then stops it), or ends; its status.
replay_until_notice() {
    # The notice is due after 5 s of searching; 30 s leave room for a loaded machine.
    RP_POINT_SEARCH=registers timeout 30 "$RP" replay "$TMP/t.db" >"$TMP/slow" 2>"$TMP/slow.err" &
    local replay=$!
    for _ in $(seq 300); do
        grep -q "one ptrace stop each" "$TMP/slow.err" && kill "$replay" 2>/dev/null
        kill -0 "$replay" 2>/dev/null || break
        sleep 0.1
    done
    wait "$replay"
}

for try in $(seq 5); do
    "$RP" record -q -b "$backend" -o "$TMP/t.db" -- "$SAMPLES/sample_memory_loop" tight \
        >"$TMP/rec" 2>"$TMP/rec.err" || { show "$TMP/rec.err"; fail "recording failed"; }
    read -r _ body _ end <"$TMP/rec.err"
    [ -n "$end" ] || { show "$TMP/rec.err"; fail "the sample did not say where its loop is"; }
    switched_in_loop "$TMP/t.db" "$body" "$end" || continue
    replay_until_notice
    status=$?
    if ! grep -q "only its memory tells the passes apart, one ptrace stop each" "$TMP/slow.err"; then
        # A switch early in the loop is found at once: the replay ends.
        [ "$status" -eq 124 ] && { show "$TMP/slow.err"; fail "a long search said nothing"; }
        note "try $try: the switch was found within seconds; recording again"
        continue
    fi
    timeout 200 "$RP" replay "$TMP/t.db" >"$TMP/rep" 2>"$TMP/rep.err"
    status=$?
    [ "$status" -eq 0 ] || { show "$TMP/rep.err"; fail "replay exited $status"; }
    assert_same_file "$TMP/rep" "$TMP/rec" "replay output"
    echo "ok: try $try: with registers only, $(grep -o 'event [0-9]* (thread [0-9]*)' "$TMP/slow.err")" \
        "said its search is slow $(grep -o '([0-9]* in [0-9]* s so far)' "$TMP/slow.err");" \
        "with the memory check in the trampoline the replay printed $(cat "$TMP/rep")"
    exit 0
done
fail "no recording had a switch far into the loop ($try tries)"
