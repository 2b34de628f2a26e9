#!/bin/bash
# Only the replaying user may debug a replay (docs/security.md): another local
# user connecting to --gdb-port (127.0.0.1) is turned away and the session
# waits on for its owner; -g hands gdb its connection over an inherited
# socketpair, so there is no port to race for at all.
. "$(dirname "$0")/../gdb/gdb_lib.sh"

[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null ||
    { echo "SKIP: needs root and setpriv to act as a second user"; exit 77; }

record_check_secret
"$RP" replay --gdb-port 0 "$TMP/cs.db" >"$TMP/rp.out" 2>"$TMP/rp.err" </dev/null &
rp_pid=$!
BG_PIDS+=("$rp_pid")
port=""
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*target remote :\([0-9]*\).*/\1/p' "$TMP/rp.err")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { show "$TMP/rp.err"; fail "rp did not wait for gdb"; }
# The replayer listens on loopback only.
ss -ltnH "sport = :$port" | grep -q '127.0.0.1:' || { ss -ltn >&2; fail "not bound to 127.0.0.1"; }

note "nobody connects"
setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$TMP" \
    gdb -batch -nx -ex "target remote :$port" -ex "print secret" -ex "monitor when" \
    >"$TMP/nobody.gdb" 2>&1 </dev/null
grep -q "Current event" "$TMP/nobody.gdb" && { show "$TMP/nobody.gdb"; fail "nobody got a session"; }
grep -qE "^\\\$1 = $SECRET" "$TMP/nobody.gdb" && fail "nobody read the secret"
assert_contains "$TMP/rp.err" "refused a gdb connection from uid 65534" "rp's note about the refusal"

note "the owner connects afterwards"
gdb -batch -nx -ex "target remote :$port" -ex "break check" -ex continue -ex "print secret" \
    -ex detach >"$TMP/owner.gdb" 2>&1 </dev/null
wait "$rp_pid"
assert_eq "$?" "$REC_STATUS" "replay status after the owner detached"
assert_in_order "$TMP/owner.gdb" "^Breakpoint 1, check \(secret=$SECRET\)" "^\\\$1 = $SECRET\$"

note "-g: no listening socket"
cat >"$TMP/sockets.gdb" <<EOF2
shell ss -ltnpH | grep -c "pid=\$(ps -o ppid= -p \$PPID | tr -d ' ')," || true
print 1+1
EOF2
gdb_session cs "$TMP/sockets.gdb"
assert_in_order "$TMP/cs.gdb.out" "^0\$" "^\\\$1 = 2\$"
echo PASS
