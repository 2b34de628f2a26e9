# Sourced by the flight-recorder tests (integration/ring.sh, bpf/ring.sh)
# after their lib.sh: the HTTP server sample recorded with --ring, driven by
# ab, and the checks on what rp keeps. RING_BACKEND: rp record's --backend.
RING_BACKEND=${RING_BACKEND:-ptrace}
command -v ab >/dev/null || fail "ab (apache2-utils, build.sh) is not installed"
RING=${RING:-4M}

# serve NAME [RP OPTIONS...]: the HTTP server recorded with --ring into
# $TMP/NAME.db, in the background (RP_PID), once it listens (PORT).
# SERVER_ARGS: more arguments for it.
SERVER_ARGS=()
serve() {
    local name=$1
    shift
    "$RP" record --backend="$RING_BACKEND" --ring "$RING" "$@" -o "$TMP/$name.db" -- \
        "$SAMPLES/sample_http_server" 0 "${SERVER_ARGS[@]}" >"$TMP/$name.out" \
        2>"$TMP/$name.rec.err" </dev/null &
    RP_PID=$!
    BG_PIDS+=("$RP_PID")
    for _ in $(seq 1 600); do
        PORT=$(sed -n 's/^listening on //p' "$TMP/$name.out")
        [ -n "$PORT" ] && return 0
        kill -0 "$RP_PID" 2>/dev/null || break
        sleep 0.1
    done
    show "$TMP/$name.rec.err"
    fail "$name: the server did not start"
}

# attach_after_load NAME N [RP OPTIONS...]: the HTTP server started alone
# (not under rp), N requests answered, then rp record --ring -p attached to
# it into $TMP/NAME.db, in the background (RP_PID), once it has attached.
attach_after_load() {
    local name=$1 n=$2
    shift 2
    "$SAMPLES/sample_http_server" 0 >"$TMP/$name.out" 2>&1 </dev/null &
    SERVER_PID=$!
    BG_PIDS+=("$SERVER_PID")
    for _ in $(seq 1 600); do
        PORT=$(sed -n 's/^listening on //p' "$TMP/$name.out")
        [ -n "$PORT" ] && break
        sleep 0.1
    done
    [ -n "$PORT" ] || fail "$name: the server did not start"
    load "$n" before
    "$RP" record --backend="$RING_BACKEND" --ring "$RING" "$@" -p "$SERVER_PID" \
        -o "$TMP/$name.db" 2>"$TMP/$name.rec.err" </dev/null &
    RP_PID=$!
    BG_PIDS+=("$RP_PID")
    for _ in $(seq 1 600); do
        grep -q "attached to process" "$TMP/$name.rec.err" && return 0
        kill -0 "$RP_PID" 2>/dev/null || break
        sleep 0.1
    done
    show "$TMP/$name.rec.err"
    fail "$name: rp did not attach"
}

# load N NAME: N requests, LOAD_CLIENTS (1) at a time, all answered.
load() {
    ab -q -n "$1" -c "${LOAD_CLIENTS:-1}" "http://127.0.0.1:$PORT/key?name=$2" >"$TMP/ab.out" 2>&1 ||
        { show "$TMP/ab.out"; fail "ab -n $1 failed"; }
    grep -q "^Failed requests: *0$" "$TMP/ab.out" || { show "$TMP/ab.out"; fail "ab: failed requests"; }
}

# crash NAME: the request that crashes the server; rp exits 128+SIGSEGV.
crash() {
    ab -q -n 1 "http://127.0.0.1:$PORT/key?name=" >/dev/null 2>&1
    wait "$RP_PID"
    REC_STATUS=$?
    assert_eq "$REC_STATUS" 139 "$1: rp record's status after the crash"
}

meta() { sqlite3 "$1" "select value from meta where key = '$2'"; }

# replays_the_crash NAME: NAME.db replays to the same SIGSEGV, printing the
# end of what the recording printed (NAME.out).
replays_the_crash() {
    local n=$1
    run "$TMP/$n.rep" "$TMP/$n.rep.err" "$RP" replay "$TMP/$n.db"
    assert_eq "$STATUS" 139 "$n: replay's status"
    local lines
    lines=$(wc -l <"$TMP/$n.rep")
    [ "$lines" -gt 10 ] || { show "$TMP/$n.rep.err"; fail "$n: the replay printed $lines lines"; }
    # (bytes, not lines: the logger thread may have written half a line last)
    tail -c "$(stat -c %s "$TMP/$n.rep")" "$TMP/$n.out" >"$TMP/$n.rec"
    assert_same_file "$TMP/$n.rec" "$TMP/$n.rep" "$n: replay stdout vs the end of the recording's"
}

# The temporary trace (.NAME.db.rp-XXXXXX) while rp writes it: its largest
# size on disk, its rollback journal (-journal) included, in NAME.maxsize
# (and the journal's largest alone in NAME.maxjournal).
sample_size() { # NAME (runs until RP_PID ends)
    local max=0 maxj=0 f s j
    while kill -0 "$RP_PID" 2>/dev/null; do
        s=0 j=0
        for f in "$TMP"/."$1".db.rp-*; do
            [ -f "$f" ] || continue
            s=$((s + $(stat -c %s "$f" 2>/dev/null || echo 0)))
            [ "${f%-journal}" = "$f" ] || j=$(stat -c %s "$f" 2>/dev/null || echo 0)
        done
        [ "$s" -gt "$max" ] && max=$s
        [ "$j" -gt "$maxj" ] && maxj=$j
        echo "$max" >"$TMP/$1.maxsize"
        echo "$maxj" >"$TMP/$1.maxjournal"
        sleep 0.05
    done
}

# kept_window_is_bounded NAME: after a crash under load, NAME.db holds a
# window after a periodic snapshot (several were taken, many events
# dropped), the file stayed bounded (RING_BYTES), rp info and
# rp check agree, and it replays the crash.
kept_window_is_bounded() {
    local n=$1 snapshots dropped max first
    [ -f "$TMP/$n.db" ] || { show "$TMP/$n.rec.err"; fail "$n: no trace kept after the crash"; }
    snapshots=$(meta "$TMP/$n.db" ring_snapshots)
    dropped=$(meta "$TMP/$n.db" ring_dropped_events)
    [ "$snapshots" -ge 2 ] || fail "$n: $snapshots snapshots taken (want several)"
    [ "$dropped" -gt 1000 ] || fail "$n: $dropped events dropped"
    # Disk stays bounded: the file and its journal never grew past RING_SLACK
    # times the ring plus two snapshots (the one the trace starts from and
    # the newest); the sampled maximum and rp's own record of it (the file
    # alone) agree on the bound. The journal alone stays small: old events
    # are dropped in steps of a sixteenth of the ring (record/ring.cc), each
    # committed, touching a few 64 KiB pages of each table beside.
    local bound=$((${RING_SLACK:-2} * RING_BYTES + 2 * $(meta "$TMP/$n.db" snapshot_bytes_stored)))
    for max in "$(cat "$TMP/$n.maxsize")" "$(meta "$TMP/$n.db" ring_max_file_bytes)"; do
        [ "$max" -le "$bound" ] || fail "$n: the trace grew to $max bytes (ring $RING_BYTES, bound $bound)"
    done
    local journal_bound=$((RING_BYTES / 4 + (2 << 20)))
    max=$(cat "$TMP/$n.maxjournal")
    [ "$max" -le "$journal_bound" ] ||
        fail "$n: the trace's journal grew to $max bytes (ring $RING_BYTES, bound $journal_bound)"
    note "$n: at most $(cat "$TMP/$n.maxsize") bytes on disk (bound $bound), journal $max (bound $journal_bound)"
    first=$(sqlite3 "$TMP/$n.db" 'select min(seq) from events')
    assert_eq "$((first > $(meta "$TMP/$n.db" snapshot_seq)))" 1 "$n: the first event comes after the snapshot"
    run "$TMP/$n.info" "$TMP/$n.info.err" "$RP" info "$TMP/$n.db"
    assert_eq "$STATUS" 0 "$n: rp info"
    assert_contains "$TMP/$n.info" "ring:           $RING_BYTES bytes, $snapshots snapshots, $dropped events dropped" \
        "$n: rp info's ring line"
    assert_contains "$TMP/$n.info" "snapshot:       taken after event $(meta "$TMP/$n.db" snapshot_seq)" \
        "$n: rp info's snapshot line"
    run "$TMP/$n.chk" "$TMP/$n.chk.err" "$RP" check "$TMP/$n.db"
    assert_eq "$STATUS" 0 "$n: rp check"
    # Replay starts at the snapshot: its output is the recording's last lines,
    # up to the crash, and it dies of the same SIGSEGV.
    replays_the_crash "$n"
}

# saves_on_request: SIGUSR2 and rp save write the current window while the
# recording goes on; the saved window replays the output up to the save.
saves_on_request() {
    local saved lines_at_save n
    serve u --save-on never
    load 3000 abc
    kill -USR2 "$RP_PID"
    for _ in $(seq 1 600); do
        grep -q "saved the current window" "$TMP/u.rec.err" && break
        sleep 0.1
    done
    saved=$(sed -n 's/^rp: saved the current window ([0-9]* events) to //p' "$TMP/u.rec.err")
    assert_eq "$saved" "$TMP/u-saved-1.db" "u: the saved window's name"
    lines_at_save=$(wc -l <"$TMP/u.out")
    load 200 xyz  # still recording: the server answers
    # rp save does the same, and only to an rp process.
    run "$TMP/s.out" "$TMP/s.err" "$RP" save "$RP_PID"
    assert_eq "$STATUS" 0 "rp save"
    for _ in $(seq 1 600); do
        grep -q "to $TMP/u-saved-2.db$" "$TMP/u.rec.err" && break
        sleep 0.1
    done
    [ -f "$TMP/u-saved-2.db" ] || { show "$TMP/u.rec.err"; fail "u: rp save wrote no second window"; }
    run "$TMP/s.out" "$TMP/s.err" "$RP" save "$$"
    assert_rp_error "$TMP/s.err" "$STATUS" "rp save to a process that is not rp"
    load 100 xyz
    crash u
    [ ! -e "$TMP/u.db" ] || fail "u: --save-on never kept the trace"
    assert_contains "$TMP/u.rec.err" "--save-on never keeps no trace" "u: rp says so"
    run "$TMP/u.chk" "$TMP/u.chk.err" "$RP" check "$saved"
    assert_eq "$STATUS" 0 "u: rp check of the saved window"
    # A kernel backend's window says what it lost (nothing, with the stall path).
    [ "$RING_BACKEND" = ptrace ] || assert_eq "$(meta "$saved" lost_records)" 0 "u: saved lost_records"
    run "$TMP/u.rep" "$TMP/u.rep.err" "$RP" replay "$saved"
    n=$(wc -l <"$TMP/u.rep")
    [ "$n" -gt 0 ] || { show "$TMP/u.rep.err"; fail "u: the saved window's replay printed nothing"; }
    head -n "$lines_at_save" "$TMP/u.out" | tail -n "$n" >"$TMP/u.rec"
    assert_same_file "$TMP/u.rec" "$TMP/u.rep" "u: the saved window's replay vs the recording up to the save"
}
