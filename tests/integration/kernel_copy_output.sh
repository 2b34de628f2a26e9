#!/bin/bash
# Output a program sends to its stdout with sendfile, copy_file_range or
# splice comes from a file inside the kernel, never through the program's
# memory. The recorder reads back what a call copied from a regular file
# (common/kernel_copy.h) and replay prints it: the replay's output is the
# recording's. What came out of a pipe (splice from a pipe) cannot be read
# back: replay stops with a divergence naming the call (exit 125), never
# prints less than the recording did and exits 0; with -q it replays.
. "$(dirname "$0")/lib.sh"

printf 'bytes from a file\n' >"$TMP/in.txt"
: "${KERNEL_COPY:?KERNEL_COPY must be the path of rp_test_kernel_copy}"
find_backends

# replays NAME: replay prints what the recording printed and exits 0, -q too.
replays() {
    local name=$1
    REC_STATUS=0
    assert_replays_match "$name"
    run "$TMP/$name.repq" "$TMP/$name.repq.err" "$RP" replay -q "$TMP/$name.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.repq.err"; fail "$name: replay -q exited $STATUS"; }
    [ ! -s "$TMP/$name.repq" ] || fail "$name: replay -q printed something"
}

for backend in "${backends[@]}"; do
    for call in sendfile copy_file_range splice; do
        name=$backend.$call
        RP_BACKEND=$backend record "$name" "$KERNEL_COPY" "$call" "$TMP/in.txt"
        assert_eq "$REC_STATUS" 0 "$name: recorded exit status"
        assert_eq "$(cat "$TMP/$name.rec")" "bytes from a file" "$name: recorded output"
        if [ "$call" != splice ]; then
            replays "$name"
            continue
        fi
        run "$TMP/$name.rep" "$TMP/$name.rep.err" "$RP" replay "$TMP/$name.db"
        [ "$STATUS" -eq 125 ] || { show "$TMP/$name.rep.err"; fail "$name: replay exited $STATUS, expected 125"; }
        assert_contains "$TMP/$name.rep.err" "output through splice came from a file" "$name: replay stderr"
        run "$TMP/$name.repq" "$TMP/$name.repq.err" "$RP" replay -q "$TMP/$name.db"
        [ "$STATUS" -eq 0 ] || { show "$TMP/$name.repq.err"; fail "$name: replay -q exited $STATUS"; }
    done
    # splice straight from the file into stdout, a pipe while recording.
    name=$backend.splice_file
    env -u RP_BACKEND "$RP" record -q --backend="$backend" -o "$TMP/$name.db" -- \
        "$KERNEL_COPY" splice_file "$TMP/in.txt" 2>"$TMP/$name.rec.err" </dev/null | cat >"$TMP/$name.rec"
    assert_eq "$?" 0 "$name: recorded exit status"
    assert_eq "$(cat "$TMP/$name.rec")" "bytes from a file" "$name: recorded output"
    replays "$name"
done
echo "PASS kernel_copy_output"
