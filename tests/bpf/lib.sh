# Sourced by the eBPF backend tests: the integration helpers plus
# require_bpf, which skips (exit 77) where eBPF cannot be used, or fails
# under CI=true, where it must be.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

require_bpf() {
    local err=$TMP/require_bpf.err
    if "$RP" record -q --backend=bpf -o "$TMP/require_bpf.db" -- /bin/true 2>"$err" </dev/null; then
        rm -f "$TMP/require_bpf.db"
        return 0
    fi
    if [ "${CI:-}" = true ]; then
        show "$err"
        fail "eBPF backend unavailable under CI=true"
    fi
    echo "SKIP: eBPF backend unavailable: $(head -1 "$err")"
    exit 77
}

# record_bpf NAME CMD...: like record, with --backend=bpf and extra env BPF_ENV.
record_bpf() {
    local name=$1
    shift
    run "$TMP/$name.rec" "$TMP/$name.rec.err" env ${BPF_ENV:-} "$RP" record -q --backend=bpf \
        -o "$TMP/$name.db" -- "$@"
    REC_STATUS=$STATUS
    [ -s "$TMP/$name.db" ] || { show "$TMP/$name.rec.err"; fail "$name: no trace written"; }
}

# info_field NAME KEY: the value rp info prints after "KEY:".
info_field() {
    "$RP" info "$TMP/$1.db" | sed -n "s/^$2: *//p"
}

assert_no_loss() { # NAME
    assert_eq "$(info_field "$1" backend)" bpf "$1: rp info backend"
    assert_eq "$(info_field "$1" 'lost records')" 0 "$1: lost records"
}

# rp says "recording ..." once its programs are attached (--name), or
# "attached to process ..." once it has taken the snapshot (-p).
wait_recording() { # STDERR_FILE
    local i
    for i in $(seq 300); do
        grep -qE '^rp: (recording|attached to process)' "$1" && return 0
        sleep 0.1
    done
    show "$1"
    fail "rp record did not start recording in 30 s"
}

# record_shell NAME SCRIPT [ARGS...]: runs SCRIPT in a bash (ARGS as $0, $1...)
# once `rp record -p` has attached to that bash (blocked opening a FIFO);
# waits for the recording to end. The trace is $TMP/NAME.db, rp's stderr $TMP/NAME.err, the bash's pid
# TARGET.
record_shell() {
    local name=$1 script=$2 go=$TMP/$1.go rec
    shift 2
    mkfifo "$go"
    bash -c "read -r _ <'$go'; $script" "$@" &
    TARGET=$!
    "$RP" record -p "$TARGET" -o "$TMP/$name.db" 2>"$TMP/$name.err" &
    rec=$!
    BG_PIDS+=("$rec")
    wait_recording "$TMP/$name.err"
    echo go >"$go"
    wait "$rec" || { show "$TMP/$name.err"; fail "$name: rp record -p exited $?"; }
}
