#!/bin/bash
# Backend selection: auto picks bpf where permitted and ptrace where not;
# explicit choices are honoured or refused in one line.
. "$(dirname "$0")/lib.sh"
require_bpf

note "auto as root: bpf"
record auto "$SAMPLES/sample_pids"
assert_eq "$(info_field auto backend)" bpf "auto backend as root"
assert_replays_match auto

note "explicit ptrace"
run "$TMP/pt.rec" "$TMP/pt.err" "$RP" record -q --backend=ptrace -o "$TMP/pt.db" -- "$SAMPLES/sample_pids"
assert_eq "$STATUS" 0 "ptrace record status"
assert_eq "$(info_field pt backend)" ptrace "explicit ptrace backend"

note "unknown backend"
run "$TMP/u.out" "$TMP/u.err" "$RP" record --backend=dtrace -o "$TMP/u.db" -- /bin/true
assert_rp_error "$TMP/u.err" "$STATUS" "unknown backend"
[ ! -e "$TMP/u.db" ] || fail "unknown backend: a trace file was left behind"

if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
    note "without privileges: bpf refused in one line, auto falls back to ptrace"
    chmod 777 "$TMP"
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
    run "$TMP/n.out" "$TMP/n.err" as_nobody "$RP" record --backend=bpf -o "$TMP/n.db" -- /bin/true
    assert_rp_error "$TMP/n.err" "$STATUS" "bpf without privileges"
    assert_contains "$TMP/n.err" "CAP_BPF"
    run "$TMP/na.rec" "$TMP/na.err" as_nobody "$RP" record -q -o "$TMP/na.db" -- "$SAMPLES/sample_pids"
    assert_eq "$STATUS" 0 "auto without privileges: record status"
    assert_eq "$(info_field na backend)" ptrace "auto without privileges"
elif [ "${CI:-}" = true ]; then
    fail "CI=true: the unprivileged cases need root and setpriv"
fi
echo PASS
