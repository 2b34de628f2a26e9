#!/bin/bash
# Output a program sends to rp's stdout with sendfile or splice comes from a
# file inside the kernel, never through the program's memory, so the trace
# does not hold it. Replay must stop with a divergence naming the call
# (exit 125), not print less than the recording did and exit 0; with -q
# (nothing printed) it replays.
. "$(dirname "$0")/lib.sh"

printf 'bytes from a file\n' >"$TMP/in.txt"
prog='import os, sys
fd = os.open(sys.argv[2], os.O_RDONLY)
if sys.argv[1] == "sendfile":
    n = os.sendfile(1, fd, 0, 100)
else:
    r, w = os.pipe()
    os.write(w, os.read(fd, 100))
    n = os.splice(r, 1, 100)
assert n == 18, n'
find_backends
for backend in "${backends[@]}"; do
    for call in sendfile splice; do
        name=$backend.$call
        RP_BACKEND=$backend record "$name" python3 -c "$prog" "$call" "$TMP/in.txt"
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
