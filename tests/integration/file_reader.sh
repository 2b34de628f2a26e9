#!/bin/bash
# File contents, size and mtime are inputs: after the file changes or is gone,
# replay must still print what the program saw when it was recorded.
. "$(dirname "$0")/lib.sh"

prog="$SAMPLES/sample_file_reader"
data="$TMP/data.txt"
head -c 9000 /dev/urandom | base64 >"$data"

run "$TMP/before" "$TMP/before.err" "$prog" "$data"
record fr "$prog" "$data"
assert_eq "$REC_STATUS" 0 "recorded exit status"
assert_same_file "$TMP/before" "$TMP/fr.rec" "recording vs native run on the same file"

# Changed contents, size and mtime: a native run now prints something else.
sleep 0.01
head -c 3000 /dev/urandom | base64 >"$data"
run "$TMP/after" "$TMP/after.err" "$prog" "$data"
assert_files_differ "$TMP/fr.rec" "$TMP/after" "native run after the change"
assert_replays_match fr

rm -f "$data"
run "$TMP/gone" "$TMP/gone.err" "$prog" "$data"
assert_ne "$STATUS" 0 "native run on a deleted file"
assert_replays_match fr
echo PASS
