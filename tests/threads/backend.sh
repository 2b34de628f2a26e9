# Sourced by the single-program threads tests (after integration/lib.sh):
# `backend` is $1 (default bpf); a backend this machine cannot record with
# skips the test (exit 77), or fails it under CI=true.
backend=${1:-bpf}
if ! "$RP" record -q -b "$backend" -o "$TMP/probe.db" -- /bin/true 2>"$TMP/probe.err" </dev/null; then
    echo "backend $backend unavailable: $(head -1 "$TMP/probe.err")"
    [ "${CI:-}" = true ] && fail "backend $backend unavailable under CI=true"
    exit 77
fi
