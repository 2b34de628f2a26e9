#!/bin/bash
# --gdb-port with a gdb started separately: `target remote`, a breakpoint,
# `monitor when`, then `detach` lets the replay finish on its own (the
# recorded output and exit status). --goto N stops before event N, and
# `monitor when` says N there.
. "$(dirname "$0")/gdb_lib.sh"

record_check_secret

# start_rp NAME ARGS...: rp in the background; PORT from its "target remote" line.
start_rp() {
    local name=$1
    shift
    "$RP" replay "$@" >"$TMP/$name.rp.out" 2>"$TMP/$name.rp.err" </dev/null &
    RP_PID=$!
    BG_PIDS+=("$RP_PID")
    PORT=$(gdb_port_of "$TMP/$name.rp.err" "$name: rp did not say where gdb should connect") ||
        exit 1
}

start_rp port --gdb-port 0 "$TMP/cs.db"
gdb -batch -nx -ex "target remote :$PORT" -ex "break check" -ex continue \
    -ex "print secret" -ex "monitor when" -ex detach >"$TMP/port.gdb.out" 2>&1 </dev/null
wait "$RP_PID"
rp_status=$?
assert_in_order "$TMP/port.gdb.out" "^Breakpoint 1, check \(secret=$SECRET\)" \
    "^\\\$1 = $SECRET\$" "^Current event: [0-9]+\$" "^\[Inferior 1 \(Remote target\) detached\]"
assert_eq "$rp_status" "$REC_STATUS" "rp's status once detached (the recorded one)"
assert_same_file "$TMP/port.rp.out" "$TMP/cs.rec" "output of the detached replay"

# --goto the getrandom that makes the secret: the secret is not there yet.
"$RP" dump "$TMP/cs.db" >"$TMP/cs.dump"
seq=$(awk '/getrandom\(.*, 4, 0\) = 4/ {print $1; exit}' "$TMP/cs.dump")
[ -n "$seq" ] || fail "no getrandom of 4 bytes in the trace"
cat >"$TMP/goto.gdb" <<'EOF'
monitor when
print last_secret
break check
continue
print secret
EOF
gdb_session cs "$TMP/goto.gdb" --goto "$seq"
assert_in_order "$TMP/cs.gdb.out" "^Current event: $seq\$" "^\\\$1 = 0\$" \
    "^Breakpoint 1, check \(secret=$SECRET\)" "^\\\$2 = $SECRET\$"
echo PASS
