# rp dump against strace -f of the same programs: same syscalls in the same
# order per process, same decoded first arguments (compare_strace.py).
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { [ "${CI:-}" = true ] && fail "CI=true: no strace"; echo "SKIP: no strace"; exit 0; }

compare() { # NAME CMD...
    local name=$1
    shift
    mkdir -p "$TMP/$name.s" "$TMP/$name.r"
    (cd "$TMP/$name.s" && strace -f -qq -s 32 -o "$TMP/$name.strace" "$@" >/dev/null 2>&1 </dev/null)
    (cd "$TMP/$name.r" && "$RP" record -q -o "$TMP/$name.db" -- "$@" >/dev/null 2>&1 </dev/null)
    "$RP" dump "$TMP/$name.db" >"$TMP/$name.dump" || fail "$name: rp dump"
    python3 "$(dirname "$0")/compare_strace.py" "$TMP/$name.strace" "$TMP/$name.dump" >"$TMP/$name.cmp" ||
        { show "$TMP/$name.cmp"; fail "$name: rp dump and strace disagree"; }
    note "$name: $(cat "$TMP/$name.cmp")"
}

compare true /bin/true
compare cat /bin/cat /etc/hostname
compare file_reader "$SAMPLES/sample_file_reader" /etc/hostname
compare probe "$PROBE"
# Not compared: programs whose signals arrive asynchronously (a shell's
# SIGCHLD handler): two runs differ in where the handler runs.
echo PASS
