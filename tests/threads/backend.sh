# Sourced by the single-program threads tests (after integration/lib.sh):
# `backend` is $1 (default bpf); a backend this machine cannot record with
# skips the test (exit 77), or fails it under CI=true.
backend=${1:-bpf}
if ! "$RP" record -q -b "$backend" -o "$TMP/probe.db" -- /bin/true 2>"$TMP/probe.err" </dev/null; then
    echo "backend $backend unavailable: $(head -1 "$TMP/probe.err")"
    [ "${CI:-}" = true ] && fail "backend $backend unavailable under CI=true"
    exit 77
fi

# Whether trace $1 has a preemption in [$2, $3).
switched_in_loop() {
    local ip
    for ip in $("$RP" dump --json "$1" | sed -n 's/.*"type":"preempt".*"ip":"\(0x[0-9a-f]*\)".*/\1/p'); do
        ((ip >= $2 && ip < $3)) && return 0
    done
    return 1
}
