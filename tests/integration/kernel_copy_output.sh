#!/bin/bash
# Output a program sends to its stdout with sendfile, copy_file_range,
# splice or tee comes from a file or pipe inside the kernel, never through
# the program's memory. The recorder reads back what a call copied
# (common/kernel_copy.h): from a regular source file, from the regular output
# file splice wrote into, from the head of the pipe tee read without
# consuming it, or (splice out of a pipe into a pipe) from that pipe's head
# peeked at the call's entry. Replay prints it: the replay's output is the
# recording's. Bytes that cannot be read back exactly (another process could
# read the pipe first; bpf/kmod: a splice into a copy of stdout on another fd,
# never stopped at its entry) are not guessed: replay stops with a
# divergence naming the call (exit 125), never prints other bytes and exits
# 0; with -q it replays.
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

# diverges NAME CALL: replay stops at CALL's missing bytes; -q replays.
diverges() {
    local name=$1 call=$2
    run "$TMP/$name.rep" "$TMP/$name.rep.err" "$RP" replay "$TMP/$name.db"
    [ "$STATUS" -eq 125 ] || { show "$TMP/$name.rep.err"; fail "$name: replay exited $STATUS, expected 125"; }
    assert_contains "$TMP/$name.rep.err" "output through $call (18 bytes to fd" "$name: replay stderr"
    assert_contains "$TMP/$name.rep.err" "rp replay -q" "$name: replay stderr"
    [ ! -s "$TMP/$name.rep" ] || fail "$name: replay printed bytes it does not have"
    run "$TMP/$name.repq" "$TMP/$name.repq.err" "$RP" replay -q "$TMP/$name.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.repq.err"; fail "$name: replay -q exited $STATUS"; }
}

for backend in "${backends[@]}"; do
    # stdout a regular file
    for call in sendfile copy_file_range splice; do
        name=$backend.$call
        RP_BACKEND=$backend record "$name" "$KERNEL_COPY" "$call" "$TMP/in.txt"
        assert_eq "$REC_STATUS" 0 "$name: recorded exit status"
        assert_eq "$(cat "$TMP/$name.rec")" "bytes from a file" "$name: recorded output"
        replays "$name"
    done
    # stdout a pipe while recording
    for mode in splice_file tee splice_pipe tee_shared splice_pipe_dup; do
        name=$backend.$mode
        env -u RP_BACKEND "$RP" record -q --backend="$backend" -o "$TMP/$name.db" -- \
            "$KERNEL_COPY" "$mode" "$TMP/in.txt" 2>"$TMP/$name.rec.err" </dev/null | cat >"$TMP/$name.rec"
        assert_eq "${PIPESTATUS[0]}" 0 "$name: recorded exit status"
        assert_eq "$(cat "$TMP/$name.rec")" "bytes from a file" "$name: recorded output"
        case $mode in
            tee_shared) diverges "$name" tee ;;
            splice_pipe_dup) if [ "$backend" = ptrace ]; then replays "$name"; else diverges "$name" splice; fi ;;
            *) replays "$name" ;;
        esac
        if [ "$mode" = tee ]; then  # dump shows the bytes read back under the call
            "$RP" dump "$TMP/$name.db" >"$TMP/$name.dump" 2>&1 || fail "$name: rp dump failed"
            assert_contains "$TMP/$name.dump" "=> output [18 bytes] 62 79 74 65 73" "$name: dump"
        fi
    done
done
echo "PASS kernel_copy_output"
