#!/bin/bash
# Only the replaying user may debug a replay (docs/security.md): another local
# user connecting to --gdb-port (127.0.0.1) is turned away and the session
# waits on for its owner; -g hands gdb its connection over an inherited
# socketpair, so there is no port to race for at all.
. "$(dirname "$0")/../gdb/gdb_lib.sh"

[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null ||
    { [ "${CI:-}" = true ] && fail "CI=true: needs root and setpriv to act as a second user"
      echo "SKIP: needs root and setpriv to act as a second user"; exit 77; }

record_check_secret
"$RP" replay --gdb-port 0 "$TMP/cs.db" >"$TMP/rp.out" 2>"$TMP/rp.err" </dev/null &
rp_pid=$!
BG_PIDS+=("$rp_pid")
port=$(gdb_port_of "$TMP/rp.err" "rp did not wait for gdb") || exit 1
# The replayer listens on loopback only (state 0A: listening).
porthex=$(printf '%04X' "$port")
listening=$(awk -v p=":$porthex" '$4 == "0A" && substr($2, length($2) - 4) == p {print $2}' \
    /proc/net/tcp /proc/net/tcp6)
assert_eq "$listening" "0100007F:$porthex" "listening sockets on port $port"

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

note "-g: rp has no TCP socket at all"
# Run from gdb's shell: finds the rp above it, counts its TCP sockets.
cat >"$TMP/tcp_of_rp.sh" <<'EOF2'
p=$$
while [ "$p" -gt 1 ] && [ "$(cat /proc/$p/comm)" != rp ]; do p=$(awk '{print $4}' /proc/$p/stat); done
[ "$p" -gt 1 ] || { echo "no rp above"; exit; }
n=0
for f in /proc/$p/fd/*; do
    l=$(readlink "$f")
    case $l in socket:*) i=${l#socket:[}; i=${i%]}
        awk -v i="$i" '$10 == i' /proc/net/tcp /proc/net/tcp6 | grep -q . && n=$((n + 1)) ;;
    esac
done
echo "tcp sockets of rp: $n"
EOF2
printf 'shell bash %s\nprint 1+1\n' "$TMP/tcp_of_rp.sh" >"$TMP/sockets.gdb"
gdb_session cs "$TMP/sockets.gdb"
assert_in_order "$TMP/cs.gdb.out" "^tcp sockets of rp: 0\$" "^\\\$1 = 2\$"
echo PASS
