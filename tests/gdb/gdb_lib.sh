# Sourced by the gdb session tests: the integration helpers (record, run,
# fail...), plus running a scripted gdb against a replay and checking what
# it printed. Environment: RP, SAMPLES (tests/gdb/CMakeLists.txt).
. "$(dirname "$0")/../integration/lib.sh"

if ! command -v gdb >/dev/null; then
    [ "${CI:-}" = true ] && fail "gdb is not installed, and CI=true: nothing may be skipped"
    echo "SKIP: gdb is not installed"
    exit 77
fi
export HOME=$TMP  # no ~/.gdbinit
unset DEBUGINFOD_URLS

# gdb_session NAME SCRIPT [RP OPTIONS...]: `rp replay -g -x SCRIPT` on
# $TMP/NAME.db; everything printed goes to $TMP/NAME.gdb.out, the status to
# GDB_STATUS. Past the script gdb reads EOF on stdin and quits.
gdb_session() {
    local name=$1 script=$2
    shift 2
    "$RP" replay -g -x "$script" "$@" "$TMP/$name.db" >"$TMP/$name.gdb.out" 2>&1 </dev/null
    GDB_STATUS=$?
}

# assert_in_order FILE REGEX...: each extended regex matches a line after the
# line the previous one matched.
assert_in_order() {
    local file=$1 after=0 re n
    shift
    for re in "$@"; do
        n=$(tail -n "+$((after + 1))" "$file" | grep -n -E -m1 -- "$re" | cut -d: -f1)
        if [ -z "$n" ]; then
            show "$file"
            fail "'$re' not found in $file after line $after"
        fi
        after=$((after + n))
    done
}

# assert_absent FILE REGEX MESSAGE: no line of FILE matches the extended regex.
assert_absent() {
    if grep -E -q -- "$2" "$1"; then
        show "$1"
        fail "$3"
    fi
}

# gdb shows exit codes in octal with a leading 0: "exited with code 0112".
gdb_exit_code() { printf '0%o' "$1"; }

# A recording of check_secret in $TMP/cs.db; SECRET is what it printed.
record_check_secret() {
    record cs "$SAMPLES/sample_check_secret"
    SECRET=$(sed -n 's/^secret=//p' "$TMP/cs.rec")
    [ -n "$SECRET" ] || { show "$TMP/cs.rec"; fail "check_secret printed no secret"; }
    assert_eq "$REC_STATUS" "$((1 + SECRET % 100))" "check_secret's recorded exit status"
}
