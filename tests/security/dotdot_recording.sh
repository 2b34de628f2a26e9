#!/bin/bash
# A program started through a path with "." and ".." components (and a #!
# script naming its interpreter the same way) is stored under clean paths, as
# a reader accepts only those (docs/trace-format.md, "Validation"), and the
# replay still finds it: the private root holds the directories the kernel
# walks through.
. "$(dirname "$0")/../integration/lib.sh"

name=$(basename "$SAMPLES")
mkdir -p "$TMP/bin/sub"
cat >"$TMP/bin/sub/script" <<SCRIPT
#!$SAMPLES/../$name/./sample_random_bytes
SCRIPT
chmod 755 "$TMP/bin/sub/script"

for backend in ptrace "${RP_BACKEND:-auto}"; do
    note "backend $backend: the program through .."
    RP_BACKEND=$backend record dotdot "$SAMPLES/../$name/./sample_random_bytes"
    assert_eq "$REC_STATUS" 0 "recorded exit status"
    run "$TMP/check" "$TMP/check.err" "$RP" check "$TMP/dotdot.db"
    assert_eq "$STATUS" 0 "rp check (stored: $(sqlite3 "$TMP/dotdot.db" 'select path from files' | tr '\n' ' '))"
    [ "$(sqlite3 "$TMP/dotdot.db" "select count(*) from files where path='$SAMPLES/sample_random_bytes'")" = 1 ] ||
        fail "the program is not stored under its clean path"
    assert_replays_match dotdot

    note "backend $backend: a script through .. whose interpreter is named with .."
    RP_BACKEND=$backend record script "$TMP/bin/sub/../sub/script"
    run "$TMP/check" "$TMP/check.err" "$RP" check "$TMP/script.db"
    assert_eq "$STATUS" 0 "rp check of the script's trace"
    assert_replays_match script
done
echo PASS
