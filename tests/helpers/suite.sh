# Shared by the record/replay suites that list expected failures
# (tests/conformance/run.sh, tests/threads/run.sh): a time-limited runner for
# one step, the known-failures lookup and the pass/xfail/XPASS tally.
#
# known_failures.txt lists "BACKEND NAME reason" lines (BACKEND may be *):
# such a failure is reported as xfail; one that passes (XPASS) fails the run,
# except for a reason starting with "flaky" (a race rp does not always win),
# as does any failure not listed there.
#
# The sourcing script sets `here` (its own directory, which holds its
# known_failures.txt), calls suite_init with its arguments, then
# suite_verdict per program and suite_summary at the end (its status is the
# suite's).

suite_passed=0 suite_failed=0 suite_xfailed=0 suite_xpassed=0

# suite_init PREFIX ENV BACKEND [NAME...]: the suites' common opening (both
# are run as `run.sh BACKEND [NAME...]`). Sets `backend`, `suite_names` (the
# programs asked for, maybe none), `known_failures` ($here/known_failures.txt),
# `limit` (seconds per step: $ENV_TIMEOUT, default 60) and TMP, a new
# directory named after PREFIX, removed at exit unless $ENV_KEEP is 1 or a
# program failed (its traces and outputs are what a failure that does not
# repeat leaves to study: threads.bpf's sort failed one CI run and no
# rerun since).
suite_init() {
    local prefix=$1 timeout=${2}_TIMEOUT keep=${2}_KEEP
    shift 2
    : "${RP:?RP must be the path of the rp binary}"
    backend=${1:?usage: run.sh BACKEND [NAME...]}
    shift
    suite_names=("$@")
    limit=${!timeout:-60}
    known_failures=$here/known_failures.txt
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")
    if [ "${!keep:-0}" = 1 ]; then echo "traces kept in $TMP"; else trap suite_cleanup EXIT; fi
}

suite_cleanup() {
    if [ "$suite_failed" -gt 0 ]; then
        echo "traces and outputs of this run kept in $TMP"
    else
        rm -rf "$TMP"
    fi
}

known_reason() { # NAME: prints the reason if NAME is a known failure under $backend
    awk -v b="$backend" -v n="$1" '
        /^[ \t]*(#|$)/ { next }
        ($1 == b || $1 == "*") && $2 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }
    ' "$known_failures"
}

# step OUT CMD...: runs CMD in a session of its own (the program may signal
# its process group, which must not hit the suite) with a time limit.
# stdout goes through a pipe that is read until every writer has gone, so a
# daemon's late output is waited for. Sets STATUS (124 on timeout).
# The limit is a timer beside the step, not a poll: most steps take a few
# milliseconds, and a 0.1 s poll made each one last at least 0.1 s.
step() {
    local out=$1 reader timer
    shift
    rm -f "$out.pid" "$out.status" "$out.timeout"
    ( setsid -w "$@" <"/dev/null" 2>"$out.err" &
      echo $! >"$out.pid"
      wait $!
      echo $? >"$out.status" ) | cat >"$out" &
    reader=$!
    ( trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
      sleep "$limit" & sleeper=$!
      wait "$sleeper" || exit 0
      : >"$out.timeout"
      # setsid did not fork (not a group leader), so its pid names the session's group.
      kill -KILL -- "-$(cat "$out.pid")" 2>/dev/null
      sleep 1
      kill "$reader" 2>/dev/null ) &
    timer=$!
    wait "$reader" 2>/dev/null
    kill "$timer" 2>/dev/null
    wait "$timer" 2>/dev/null
    if [ -e "$out.timeout" ]; then
        STATUS=124
        echo "(timed out after ${limit}s)" >>"$out.err"
        return
    fi
    STATUS=$(cat "$out.status" 2>/dev/null || echo 124)
}

suite_fail() { # NAME WHY: a failure that no list excuses (the program is missing, say)
    echo "FAIL  $backend $1: $2"
    suite_failed=$((suite_failed + 1))
}

suite_verdict() { # NAME OK WHY: OK is 0 when NAME recorded and replayed as it must
    local name=$1 ok=$2 why=$3 reason
    reason=$(known_reason "$name")
    if [ "$ok" -eq 0 ]; then
        if [ -n "$reason" ] && [ "${reason#flaky}" != "$reason" ]; then
            echo "pass  $backend $name (listed as flaky: $reason)"
            suite_passed=$((suite_passed + 1))
        elif [ -n "$reason" ]; then
            echo "XPASS $backend $name: listed as a known failure ($reason) but passes"
            suite_xpassed=$((suite_xpassed + 1))
        else
            echo "pass  $backend $name"
            suite_passed=$((suite_passed + 1))
        fi
    elif [ -n "$reason" ]; then
        echo "xfail $backend $name: $why"
        suite_xfailed=$((suite_xfailed + 1))
    else
        suite_fail "$name" "$why"
    fi
}

suite_summary() {
    echo "$backend: $suite_passed passed, $suite_failed failed, $suite_xfailed xfail," \
         "$suite_xpassed unexpectedly passed"
    [ "$suite_failed" -eq 0 ] && [ "$suite_xpassed" -eq 0 ]
}
