# Sourced by every integration test: a private temp dir removed on exit,
# assertions that name what failed, and helpers to run rp and programs.
# Environment (set by tests/CMakeLists.txt): RP, SAMPLES, POKER.
set -u -o pipefail

: "${RP:?RP must be the path of the rp binary}"
: "${SAMPLES:?SAMPLES must be the directory of the built samples}"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rp-it.XXXXXX")
BG_PIDS=()

# A failed test's traces and rp's stderr are what explains a failure seen
# once in many runs: its temp dir is kept (moved, never copied) under
# $RP_KEEP_FAILED (default: the temp dir's parent) and its path printed.
cleanup() {
    local status=$? p kept
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
        kept=${RP_KEEP_FAILED:-$(dirname "$TMP")}/rp-failed.$(basename "$0" .sh).${TMP##*.}
        mkdir -p "${kept%/*}" && mv "$TMP" "$kept" 2>/dev/null &&
            { echo "kept for study: $kept" >&2; return; }
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

assert_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
assert_ne() { [ "$1" != "$2" ] || fail "$3: both are '$1'"; }

show() { echo "---- $1:" >&2; head -c 2000 "$1" >&2; echo >&2; }

# Byte-for-byte equality of two files.
assert_same_file() {
    cmp -s "$1" "$2" && return 0
    echo "---- diff $1 $2:" >&2
    diff <(od -c "$1" | head -50) <(od -c "$2" | head -50) >&2
    fail "$3: $1 and $2 differ"
}

assert_files_differ() {
    cmp -s "$1" "$2" || return 0
    show "$1"
    fail "$3: $1 and $2 are identical"
}

assert_contains() {
    grep -qF -- "$2" "$1" && return 0
    show "$1"
    fail "$3: '$2' not found in $1"
}

# rp's own failures are one line "rp: ...", never a crash: status below 128
# (no fatal signal), non-zero.
assert_rp_error() { # FILE_STDERR STATUS WHAT
    local lines
    lines=$(wc -l <"$1")
    [ "$2" -ne 0 ] || fail "$3: exit status 0"
    [ "$2" -lt 128 ] || { show "$1"; fail "$3: exit status $2 (crashed?)"; }
    [ "$lines" -eq 1 ] || { show "$1"; fail "$3: expected one line on stderr, got $lines"; }
    grep -q '^rp: ' "$1" || { show "$1"; fail "$3: stderr does not start with 'rp: '"; }
}

# run OUT ERR CMD...: runs CMD with stdin from /dev/null, sets STATUS.
run() {
    local out=$1 err=$2
    shift 2
    "$@" >"$out" 2>"$err" </dev/null
    STATUS=$?
}

# Proves a program is nondeterministic, so that an identical replay means something.
assert_native_runs_differ() { # NAME CMD...
    local name=$1
    shift
    run "$TMP/$name.native1" "$TMP/$name.native1.err" "$@"
    run "$TMP/$name.native2" "$TMP/$name.native2.err" "$@"
    assert_files_differ "$TMP/$name.native1" "$TMP/$name.native2" "$name: two native runs"
}

# record NAME CMD...: records CMD into $TMP/NAME.db; stdout in $TMP/NAME.rec,
# status in REC_STATUS.
record() {
    local name=$1
    shift
    # The program sees the same environment whichever backend records it.
    run "$TMP/$name.rec" "$TMP/$name.rec.err" env -u RP_BACKEND "$RP" record -q --backend="${RP_BACKEND:-auto}" \
        -o "$TMP/$name.db" -- "$@"
    REC_STATUS=$STATUS
    [ -s "$TMP/$name.db" ] || { show "$TMP/$name.rec.err"; fail "$name: no trace written"; }
}

# record_switch NAME CMD...: records CMD as record does until the trace holds
# a thread switch (events of kind 4), up to 3 times: spin_wait's spinner is
# preempted only when the other thread has not already run, and on a loaded
# CPU the kernel sometimes runs that one first (no switch to replay).
record_switch() {
    local name=$1 try
    for try in 1 2 3; do
        record "$@"
        [ "$REC_STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $REC_STATUS"; }
        [ "$(sqlite3 "$TMP/$name.db" "SELECT count(*) FROM events WHERE kind = 4")" -gt 0 ] && return 0
    done
    fail "$name: no recorded switch in 3 recordings"
}

# Replays $TMP/NAME.db twice; each must print exactly the recorded stdout and
# exit with the recorded status.
assert_replays_match() { # NAME
    local name=$1 i
    for i in 1 2; do
        run "$TMP/$name.rep$i" "$TMP/$name.rep$i.err" "$RP" replay "$TMP/$name.db"
        [ "$STATUS" -eq "$REC_STATUS" ] || { show "$TMP/$name.rep$i.err"; \
            fail "$name: replay $i exited $STATUS, recording exited $REC_STATUS"; }
        assert_same_file "$TMP/$name.rec" "$TMP/$name.rep$i" "$name: replay $i stdout vs recording"
    done
}

# rdtsc_untrapped NAME: true when NAME's rdtsc reads were not recorded: a
# machine that does not trap rdtsc (some hypervisors accept PR_SET_TSC and
# ignore it) where rp did not patch the program's code either (rp info says
# so). Then a replay of a program whose output shows the values must
# diverge, saying why, never print other values as the recorded ones; that is
# checked here. (Where rdtsc traps, or rp patched it, false.)
rdtsc_untrapped() { # NAME
    local name=$1
    "$RP" info "$TMP/$name.db" >"$TMP/$name.info" 2>&1
    grep -q "^rdtsc: *not trapped on the recording machine (its reads were not recorded)" \
        "$TMP/$name.info" || return 1
    note "$name: rdtsc does not trap on this machine: checking that replay says so"
    run "$TMP/$name.rep1" "$TMP/$name.rep1.err" "$RP" replay "$TMP/$name.db"
    assert_eq "$STATUS" 125 "$name: replay exit status (a divergence)"
    assert_contains "$TMP/$name.rep1.err" "replay diverged at event" "$name: replay's divergence"
    assert_contains "$TMP/$name.rep1.err" "rdtsc did not trap on the recording machine" \
        "$name: the divergence's reason"
    return 0
}

# find_backends: sets `backends` to ptrace plus bpf when this machine can
# record with it (a failure under CI=true, where nothing may be left out).
find_backends() {
    backends=(ptrace)
    if "$RP" record -q --backend=bpf -o "$TMP/probe.db" -- /bin/true 2>"$TMP/probe.err" </dev/null; then
        backends+=(bpf)
    elif [ "${CI:-}" = true ]; then
        show "$TMP/probe.err"
        fail "eBPF backend unavailable under CI=true"
    else
        note "eBPF backend unavailable, ptrace only: $(head -1 "$TMP/probe.err")"
    fi
}

# gdb_port_of ERRFILE WHAT: waits (up to 20 s) for a `rp replay --gdb-port 0`
# writing to ERRFILE to say which port gdb should connect to; prints it, or
# fails saying WHAT did not happen.
gdb_port_of() {
    local port=""
    for _ in $(seq 1 200); do
        port=$(sed -n 's/.*target remote :\([0-9]*\).*/\1/p' "$1")
        [ -n "$port" ] && { echo "$port"; return; }
        sleep 0.1
    done
    show "$1"
    fail "$2"
}
