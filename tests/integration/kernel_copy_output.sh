#!/bin/bash
# Output a program sends to rp's stdout with sendfile or splice comes from a
# file inside the kernel, never through the program's memory, so the trace
# does not hold it. Replay must stop with a divergence naming the call
# (exit 125), not print less than the recording did and exit 0; with -q
# (nothing printed) it replays.
. "$(dirname "$0")/lib.sh"

printf 'bytes from a file\n' >"$TMP/in.txt"
: "${KERNEL_COPY:?KERNEL_COPY must be the path of rp_test_kernel_copy}"
find_backends
for backend in "${backends[@]}"; do
    for call in sendfile splice; do
        name=$backend.$call
        RP_BACKEND=$backend record "$name" "$KERNEL_COPY" "$call" "$TMP/in.txt"
        assert_eq "$REC_STATUS" 0 "$name: recorded exit status"
        assert_eq "$(cat "$TMP/$name.rec")" "bytes from a file" "$name: recorded output"
        run "$TMP/$name.rep" "$TMP/$name.rep.err" "$RP" replay "$TMP/$name.db"
        [ "$STATUS" -eq 125 ] || { show "$TMP/$name.rep.err"; fail "$name: replay exited $STATUS, expected 125"; }
        assert_contains "$TMP/$name.rep.err" "output through $call came from a file" "$name: replay stderr"
        run "$TMP/$name.repq" "$TMP/$name.repq.err" "$RP" replay -q "$TMP/$name.db"
        [ "$STATUS" -eq 0 ] || { show "$TMP/$name.repq.err"; fail "$name: replay -q exited $STATUS"; }
    done
done
echo "PASS kernel_copy_output"
