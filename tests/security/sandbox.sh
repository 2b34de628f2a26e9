#!/bin/bash
# The replayed process is confined (docs/security.md): no_new_privs, a seccomp
# filter, no capabilities, its own IPC/network/UTS namespaces, and as root it
# runs as nobody. Read from /proc while the replay waits for gdb
# (--gdb-port), then the replay is let go and must still reproduce the run.
# Also as an unprivileged user (via setpriv) when run as root.
. "$(dirname "$0")/../integration/lib.sh"

prog=$SAMPLES/sample_check_secret
record cs "$prog"

# check_confined NAME TRACE UID [RUNNER...]: replays TRACE with RUNNER, checks
# the tracee (running as UID), then detaches gdb; the replay must end with the
# recorded status.
check_confined() {
    local name=$1 trace=$2 uid=$3 rp_pid port="" child="" st
    shift 3
    : >"$TMP/$name.err"
    "$@" "$RP" replay --gdb-port 0 "$trace" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
    rp_pid=$!
    BG_PIDS+=("$rp_pid")
    port=$(gdb_port_of "$TMP/$name.err" "$name: rp did not wait for gdb") || exit 1
    # The replayed program: a descendant of rp (the runner may sit in between).
    for _ in $(seq 1 100); do
        for c in $(pgrep -P "$rp_pid") $(pgrep -P "$(pgrep -P "$rp_pid" | head -1)" 2>/dev/null); do
            if [ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$prog" ]; then child=$c; fi
        done
        [ -n "$child" ] && break
        sleep 0.1
    done
    [ -n "$child" ] || fail "$name: no replayed process found under rp"
    st=/proc/$child/status
    grep -E '^(Uid|NoNewPrivs|Seccomp|CapEff|CapPrm|CapBnd):' "$st" >"$TMP/$name.status"
    assert_contains "$TMP/$name.status" "NoNewPrivs:	1" "$name: no_new_privs"
    assert_contains "$TMP/$name.status" "Seccomp:	2" "$name: seccomp filter mode"
    assert_contains "$TMP/$name.status" "CapEff:	0000000000000000" "$name: effective capabilities"
    assert_contains "$TMP/$name.status" "CapPrm:	0000000000000000" "$name: permitted capabilities"
    assert_contains "$TMP/$name.status" "CapBnd:	0000000000000000" "$name: bounding set"
    assert_contains "$TMP/$name.status" "Uid:	$uid	$uid	$uid	$uid" "$name: uid"
    local ns
    for ns in ipc net uts; do
        assert_ne "$(readlink "/proc/$child/ns/$ns")" "$(readlink "/proc/$rp_pid/ns/$ns")" \
            "$name: $ns namespace of the replayed process vs rp's"
    done
    gdb -batch -nx -ex "target remote :$port" -ex detach >"$TMP/$name.gdb" 2>&1 </dev/null
    wait "$rp_pid"
    assert_eq "$?" "$REC_STATUS" "$name: replay status after detaching"
    assert_same_file "$TMP/$name.out" "$TMP/cs.rec" "$name: replay output"
}

command -v gdb >/dev/null || { [ "${CI:-}" = true ] && fail "CI=true: gdb is not installed"; echo "SKIP: gdb is not installed"; exit 77; }
export HOME=$TMP
me=$(id -u)
[ "$(sqlite3 "$TMP/cs.db" 'select count(*) from files')" -gt 0 ] ||
    fail "the trace stores no exec files: no private root to test"
# As root, in the private root the program runs as nobody.
check_confined self "$TMP/cs.db" "$([ "$me" = 0 ] && echo 65534 || echo "$me")"
# Without stored files there is no private root: the host's files must stay
# reachable, so root keeps uid 0, but still without any capability.
cp "$TMP/cs.db" "$TMP/nofiles.db"
sqlite3 "$TMP/nofiles.db" 'delete from files'
check_confined nofiles "$TMP/nofiles.db" "$me"
if [ "$me" = 0 ] && command -v setpriv >/dev/null; then
    note "as an unprivileged user"
    chmod 755 "$TMP"
    chmod 644 "$TMP/cs.db"
    check_confined nobody "$TMP/cs.db" 65534 setpriv --reuid=65534 --regid=65534 --clear-groups
fi
echo PASS
