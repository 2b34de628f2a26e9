#!/bin/bash
# System V shared memory is a host object: replay never attaches the host's
# segments (docs/security.md). A program that attaches segment KEY, reads
# it and writes into it replays exactly — it sees what it saw while
# recording, its forked child sees its write — while the host's segment
# with the same key keeps what it holds now.
. "$(dirname "$0")/../integration/lib.sh"

shm=$SAMPLES/sample_sysv_shm
key=$(( 0x52500000 + ($$ % 65536) * 16 + RANDOM % 16 ))
"$shm" rm "$key" 2>/dev/null
cleanup_shm() { "$shm" rm "$key" 2>/dev/null; cleanup; }
trap cleanup_shm EXIT

backends=(ptrace)
[ "$(id -u)" = 0 ] && backends+=(auto)
for backend in "${backends[@]}"; do
    note "backend $backend"
    "$shm" set "$key" "host, before the recording" || fail "cannot create the host segment"
    RP_BACKEND=$backend record "$backend" "$shm" use "$key"
    assert_eq "$REC_STATUS" 0 "$backend: recorded status"
    assert_contains "$TMP/$backend.rec" "found: host, before the recording" "$backend: recorded run"
    assert_contains "$TMP/$backend.rec" "child sees: written by pid" "$backend: recorded child"
    # The recording changed the segment; now the host puts something else there.
    "$shm" set "$key" "host, before the replay"
    run "$TMP/$backend.rep" "$TMP/$backend.rep.err" "$RP" replay "$TMP/$backend.db"
    [ "$STATUS" = 0 ] || { show "$TMP/$backend.rep.err"; fail "$backend: replay status $STATUS"; }
    assert_same_file "$TMP/$backend.rep" "$TMP/$backend.rec" "$backend: replay output"
    assert_eq "$("$shm" show "$key")" "host, before the replay" "$backend: host segment after replay"
done
echo PASS
