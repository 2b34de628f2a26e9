# Sourced by the attach tests (after lib.sh): a running samples/line_server
# to attach to with `rp record -p`, requests sent to it through its FIFO, and
# waits bounded by a generous time (the machine may be loaded), never sleeps
# that a slow run could outlast.

# ATTACH_BACKEND (default ptrace): the backend `attach` records with. A
# kernel backend that cannot be used here skips the test (exit 77), or fails
# it under CI=true.
ATTACH_BACKEND=${ATTACH_BACKEND:-ptrace}
if [ "$ATTACH_BACKEND" != ptrace ] &&
    ! "$RP" record -q --backend="$ATTACH_BACKEND" -o "$TMP/backend.db" -- /bin/true \
        2>"$TMP/backend.err" </dev/null; then
    [ "${CI:-}" = true ] && { show "$TMP/backend.err"; fail "backend $ATTACH_BACKEND unavailable under CI=true"; }
    echo "SKIP: backend $ATTACH_BACKEND unavailable: $(head -1 "$TMP/backend.err")"
    exit 77
fi

# start_sample NAME SAMPLE LINES: samples/SAMPLE reading $TMP/NAME.fifo,
# writing into $TMP/NAME.out, once it has written LINES lines; SERVER_PID is
# its pid.
start_sample() {
    mkfifo "$TMP/$1.fifo" || fail "mkfifo"
    "$SAMPLES/sample_$2" "$TMP/$1.fifo" >"$TMP/$1.out" 2>&1 </dev/null &
    SERVER_PID=$!
    BG_PIDS+=("$SERVER_PID")
    wait_lines "$1" "$3"
}

# start_server NAME: line_server, answering into $TMP/NAME.out.
start_server() { start_sample "$1" line_server 1; }

# start_threads NAME: attach_threads, once its workers have printed.
start_threads() { start_sample "$1" attach_threads 4; }

# wait_workers NAME N: until both workers of attach_threads have printed
# and $TMP/NAME.out has N lines more than it had (60 s at most).
wait_workers() {
    local n=$(($(wc -l <"$TMP/$1.out") + $2))
    for _ in $(seq 1 600); do
        local after
        after=$(tail -n "+$((n - $2 + 1))" "$TMP/$1.out")
        [ "$(wc -l <"$TMP/$1.out")" -ge "$n" ] && grep -q '^w0 ' <<<"$after" &&
            grep -q '^w1 ' <<<"$after" && return 0
        sleep 0.1
    done
    show "$TMP/$1.out"
    fail "$1: the workers did not both print"
}

# wait_lines NAME N: until $TMP/NAME.out has N lines (60 s at most).
wait_lines() {
    for _ in $(seq 1 600); do
        [ "$(wc -l <"$TMP/$1.out")" -ge "$2" ] && return 0
        sleep 0.1
    done
    show "$TMP/$1.out"
    fail "$1: the server did not answer (expected $2 lines)"
}

# send NAME REQUEST...: each request, then waits for its one-line answer.
send() {
    local name=$1 n
    shift
    for req in "$@"; do
        n=$(wc -l <"$TMP/$name.out")
        echo "$req" >"$TMP/$name.fifo"
        wait_lines "$name" $((n + 1))
    done
}

# attach NAME [RP OPTIONS...]: `rp record -p SERVER_PID
# --backend=$ATTACH_BACKEND -o $TMP/NAME.db` in the background (RP_PID), once
# it says it has attached.
attach() {
    local name=$1
    shift
    "$RP" record -p "$SERVER_PID" --backend="$ATTACH_BACKEND" "$@" -o "$TMP/$name.db" \
        2>"$TMP/$name.rec.err" </dev/null &
    RP_PID=$!
    BG_PIDS+=("$RP_PID")
    for _ in $(seq 1 600); do
        grep -q "attached to process" "$TMP/$name.rec.err" && return 0
        kill -0 "$RP_PID" 2>/dev/null || break
        sleep 0.1
    done
    show "$TMP/$name.rec.err"
    fail "$name: rp record -p did not attach"
}
