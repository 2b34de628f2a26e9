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

# Every number the producers hand out that a trace holds: events' seq and
# entry_seq, and a fork's copy number (extra 'forkcopy:N', common/fork_copy.h).
TRACE_NUMBERS_SQL="select seq as s from events union
    select entry_seq from events where entry_seq is not null union
    select cast(substr(cast(extra as text), 10) as integer) from events
        where kind = 1 and cast(extra as text) like 'forkcopy:%'"

# assert_many_readers_lossless DB NAME THREADS ROUNDS: the trace of
# many_readers (1 MiB ring) lost nothing: lost_records 0, a stall for every
# 1 MiB read and each completed from user space, every sequence number of
# 1..max present (TRACE_NUMBERS_SQL), every read stored whole.
assert_many_readers_lossless() {
    local db=$1 name=$2 threads=$3 rounds=$4 stalls have top bad big read_nr
    assert_eq "$(sqlite3 "$db" "select value from meta where key = 'lost_records'")" 0 \
        "$name: meta lost_records"
    stalls=$(sqlite3 "$db" "select value from meta where key = 'kernel_stalls'")
    [ "${stalls:-0}" -ge $((threads * rounds)) ] ||
        fail "$name: expected >= $((threads * rounds)) stalls (every 1 MiB read), got '$stalls'"
    assert_eq "$(sqlite3 "$db" "select value from meta where key = 'kernel_assisted'")" "$stalls" \
        "$name: every stall completed from user space"
    read -r have top < <(sqlite3 -separator ' ' "$db" \
        "select count(*), max(s) from ($TRACE_NUMBERS_SQL)")
    assert_eq "$have" "$top" "$name: sequence numbers present of 1..$top"
    read_nr=$(sqlite3 "$db" "select nr from syscall_names where name = 'read'")
    bad=$(sqlite3 "$db" "select count(*) from events e where e.kind = 1 and e.nr = $read_nr and e.ret > 0
        and (select coalesce(sum(size), 0) from mem m where m.seq = e.seq and m.input = 0) != e.ret")
    assert_eq "$bad" 0 "$name: reads not stored whole"
    big=$(sqlite3 "$db" "select count(*) from events where kind = 1 and ret = 1048576 and nr = $read_nr")
    assert_eq "$big" $((threads * rounds)) "$name: 1 MiB reads in the trace"
}

# attach_bpf NAME PID: `RP_RING_MB=1 rp record -p PID --backend=bpf` in the
# background (RP_PID), trace $TMP/NAME.db, stderr $TMP/NAME.rec.err; returns
# once rp has attached (or ended).
attach_bpf() {
    RP_RING_MB=1 "$RP" record -p "$2" --backend=bpf -o "$TMP/$1.db" 2>"$TMP/$1.rec.err" </dev/null &
    RP_PID=$!
    BG_PIDS+=("$RP_PID")
    for _ in $(seq 1 600); do
        grep -q "attached to process" "$TMP/$1.rec.err" && break
        kill -0 "$RP_PID" 2>/dev/null || break
        sleep 0.1
    done
}
