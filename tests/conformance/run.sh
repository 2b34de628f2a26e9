#!/bin/bash
# Records and replays every conformance program under one backend and checks
# that the replay prints exactly what the recording printed (stdout and
# stderr) and exits with the same status, and that the recording behaved
# like a plain run (same status, the program's PASS line).
#
#   run.sh BACKEND [NAME...]     BACKEND: ptrace | bpf | kmod
# Environment: RP (the rp binary), CONF_BIN (the built programs),
# CONF_TIMEOUT (seconds per step, default 60), CONF_KEEP=1 keeps the traces.
# known_failures.txt lists "BACKEND NAME reason" lines (BACKEND may be *):
# such a failure is reported as xfail; one that passes (XPASS) fails the run,
# except for a reason starting with "flaky" (a race rp does not always win),
# as does any failure not listed there. Exit status 0 only when nothing failed.
set -u -o pipefail
: "${RP:?RP must be the path of the rp binary}"
: "${CONF_BIN:?CONF_BIN must be the directory of the conformance programs}"
backend=${1:?usage: run.sh BACKEND [NAME...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
limit=${CONF_TIMEOUT:-60}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rp-conf.XXXXXX")
[ "${CONF_KEEP:-0}" = 1 ] && echo "traces kept in $TMP" || trap 'rm -rf "$TMP"' EXIT

known_reason() { # NAME: prints the reason if NAME is a known failure under $backend
    awk -v b="$backend" -v n="$1" '
        /^[ \t]*(#|$)/ { next }
        ($1 == b || $1 == "*") && $2 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }
    ' "$here/known_failures.txt"
}

# step OUT CMD...: runs CMD in a session of its own (the program may signal
# its process group, which must not hit this script) with a time limit.
# stdout goes through a pipe that is read until every writer has gone, so a
# daemon's late output is waited for. Sets STATUS (124 on timeout).
step() {
    local out=$1 reader waited=0
    shift
    rm -f "$out.pid" "$out.status"
    ( setsid -w "$@" <"/dev/null" 2>"$out.err" &
      echo $! >"$out.pid"
      wait $!
      echo $? >"$out.status" ) | cat >"$out" &
    reader=$!
    while kill -0 "$reader" 2>/dev/null && [ "$waited" -lt $((limit * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$reader" 2>/dev/null; then
        # setsid did not fork (not a group leader), so its pid names the session's group.
        kill -KILL -- "-$(cat "$out.pid")" 2>/dev/null
        sleep 1
        kill "$reader" 2>/dev/null
        wait "$reader" 2>/dev/null
        STATUS=124
        echo "(timed out after ${limit}s)" >>"$out.err"
        return
    fi
    wait "$reader" 2>/dev/null
    STATUS=$(cat "$out.status" 2>/dev/null || echo 124)
}

WHY=
check_one() { # NAME: returns 0 when the program records and replays identically
    local name=$1 bin=$CONF_BIN/$1 d=$TMP/$1 native_status
    mkdir -p "$d"
    step "$d/native" "$bin"
    native_status=$STATUS
    grep -qx "PASS $name" "$d/native" || { WHY="does not pass natively (status $STATUS): $(head -c 300 "$d/native.err")"; return 1; }
    step "$d/rec" "$RP" record -q -b "$backend" -o "$d/trace.db" -- "$bin"
    [ "$STATUS" -eq "$native_status" ] || { WHY="recording exited $STATUS, a plain run $native_status: $(head -c 300 "$d/rec.err")"; return 1; }
    grep -qx "PASS $name" "$d/rec" || { WHY="no PASS line while recording: $(head -c 300 "$d/rec.err")"; return 1; }
    step "$d/rep" "$RP" replay "$d/trace.db"
    [ "$STATUS" -eq "$native_status" ] || { WHY="replay exited $STATUS, recording $native_status: $(head -c 300 "$d/rep.err")"; return 1; }
    cmp -s "$d/rec" "$d/rep" || { WHY="replay stdout differs from the recording's"; return 1; }
    cmp -s "$d/rec.err" "$d/rep.err" || { WHY="replay stderr differs: $(head -c 300 "$d/rep.err")"; return 1; }
    return 0
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$here"/progs/*.c; do n=${f##*/}; names+=("${n%.c}"); done
fi
passed=0 failed=0 xfailed=0 xpassed=0
for name in "${names[@]}"; do
    [ -x "$CONF_BIN/$name" ] || { echo "FAIL  $backend $name: not built"; failed=$((failed + 1)); continue; }
    reason=$(known_reason "$name")
    WHY=
    if check_one "$name"; then
        if [ -n "$reason" ] && [ "${reason#flaky}" != "$reason" ]; then
            echo "pass  $backend $name (listed as flaky: $reason)"
            passed=$((passed + 1))
        elif [ -n "$reason" ]; then
            echo "XPASS $backend $name: listed as a known failure ($reason) but passes"
            xpassed=$((xpassed + 1))
        else
            echo "pass  $backend $name"
            passed=$((passed + 1))
        fi
    elif [ -n "$reason" ]; then
        echo "xfail $backend $name: $WHY"
        xfailed=$((xfailed + 1))
    else
        echo "FAIL  $backend $name: $WHY"
        failed=$((failed + 1))
    fi
done
echo "$backend: $passed passed, $failed failed, $xfailed xfail, $xpassed unexpectedly passed"
[ "$failed" -eq 0 ] && [ "$xpassed" -eq 0 ]
