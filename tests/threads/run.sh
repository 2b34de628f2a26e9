#!/bin/bash
# Threads acceptance suite (issue 11): multithreaded programs, and two
# processes racing over shared memory, are recorded with one backend and
# replayed three times; every replay must print exactly the recording's
# stdout and end the same way (exit status, or the same fatal signal).
#
#   run.sh BACKEND [NAME...]     BACKEND: ptrace | bpf | kmod
# Environment: RP (the rp binary), SAMPLES (the built samples), SRC (the
# source tree: samples/race_counter.c is used once it exists there),
# THREADS_TIMEOUT (seconds per step, default 60), THREADS_KEEP=1 keeps the
# traces. known_failures.txt lists the expected failures (format and
# semantics in tests/helpers/suite.sh).
set -u -o pipefail
: "${SAMPLES:?SAMPLES must be the directory of the built samples}"
: "${SRC:?SRC must be the rp source tree}"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../helpers/suite.sh"
suite_init rp-threads THREADS "$@"
REPLAYS=3

# A kernel backend this machine cannot use: skipped (exit 77), but a failure
# under CI=true, where nothing may be left out.
if ! "$RP" record -q -b "$backend" -o "$TMP/probe.db" -- /bin/true 2>"$TMP/probe.err" </dev/null; then
    echo "backend $backend unavailable: $(head -1 "$TMP/probe.err")"
    [ "${CI:-}" = true ] && { echo "FAIL: backend $backend unavailable under CI=true"; exit 1; }
    exit 77
fi

# Debian's python3 (build.sh installs it) rather than a version manager's
# shim, which is a shell script that runs more programs before Python.
python=/usr/bin/python3
[ -x "$python" ] || python=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)

# sort only runs threads on more than 2 x 128 Ki lines in its buffer (so no
# small -S).
awk 'BEGIN { srand(11); for (i = 0; i < 400000; i++) printf "%08x %d\n", int(rand() * 2^32), i }' \
    >"$TMP/sort.in"

# command_of NAME: sets CMD to the command line of acceptance program NAME.
command_of() {
    case $1 in
        race_counter | prod_cons | thread_crash | fork_race | rep_copy) CMD=("$SAMPLES/sample_$1") ;;
        # Blocks of 128 KiB, not -1's 3 MiB: both threads compress a 400 kB input.
        xz) CMD=(sh -c 'head -c 400000 /dev/urandom | xz -T2 -1 --block-size=131072 | wc -c') ;;
        sort) CMD=(sh -c "sort --parallel=2 $TMP/sort.in | cksum") ;;
        python_list) CMD=("$python" "$here/shared_list.py") ;;
        *) return 1 ;;
    esac
}

WHY=
check_one() { # NAME: returns 0 when NAME records and replays identically $REPLAYS times
    local name=$1 d=$TMP/$1 i
    mkdir -p "$d"
    command_of "$name" || { WHY="no such program"; return 1; }
    step "$d/rec" "$RP" record -q -b "$backend" -o "$d/trace.db" -- "${CMD[@]}"
    local rec_status=$STATUS
    [ -s "$d/rec" ] || { WHY="recording printed nothing (status $STATUS): $(head -c 300 "$d/rec.err")"; return 1; }
    [ "$rec_status" -ne 124 ] || { WHY="recording timed out"; return 1; }
    # Nothing to prove unless the program really ran threads (sort, say,
    # stays single-threaded on a small buffer), or fork_race a second process.
    local made=CLONE_THREAD
    [ "$name" = fork_race ] && made=SIGCHLD
    "$RP" dump -e trace=clone "$d/trace.db" 2>/dev/null | grep -q "clone(.*$made" ||
        { WHY="the recording made no clone with $made"; return 1; }
    for i in $(seq "$REPLAYS"); do
        step "$d/rep$i" "$RP" replay "$d/trace.db"
        [ "$STATUS" -eq "$rec_status" ] || { WHY="replay $i exited $STATUS, recording $rec_status: $(head -c 300 "$d/rep$i.err")"; return 1; }
        cmp -s "$d/rec" "$d/rep$i" || { WHY="replay $i stdout differs from the recording's: $(head -c 200 "$d/rep$i") vs $(head -c 200 "$d/rec")"; return 1; }
    done
    return 0
}

names=("${suite_names[@]}")
if [ ${#names[@]} -eq 0 ]; then
    names=(prod_cons thread_crash fork_race rep_copy xz sort python_list)
    if [ -e "$SRC/samples/race_counter.c" ]; then
        names=(race_counter "${names[@]}")
    else
        echo "skip  $backend race_counter: samples/race_counter.c is not on this branch yet"
    fi
fi
for name in "${names[@]}"; do
    WHY=
    start=$SECONDS
    check_one "$name"
    suite_verdict "$name" $? "$WHY"
    echo "      ($name: $((SECONDS - start)) s)"
done
suite_summary
