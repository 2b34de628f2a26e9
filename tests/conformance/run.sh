#!/bin/bash
# Records and replays every conformance program under one backend and checks
# that the replay prints exactly what the recording printed (stdout and
# stderr) and exits with the same status, and that the recording behaved
# like a plain run (same status, the program's PASS line).
#
#   run.sh BACKEND [NAME...]     BACKEND: ptrace | bpf | kmod
# Environment: RP (the rp binary), CONF_BIN (the built programs),
# CONF_TIMEOUT (seconds per step, default 60), CONF_KEEP=1 keeps the traces.
# known_failures.txt lists the expected failures (format and semantics in
# tests/helpers/suite.sh). Exit status 0 only when nothing failed.
set -u -o pipefail
: "${CONF_BIN:?CONF_BIN must be the directory of the conformance programs}"
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../helpers/suite.sh"
suite_init rp-conf CONF "$@"

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
    # rp's own line when its replay agent cannot be used (the program's ptrace) is not the program's.
    grep -v "^rp: replay agent not used: " "$d/rep.err" >"$d/rep.prog.err"
    cmp -s "$d/rec.err" "$d/rep.prog.err" || { WHY="replay stderr differs: $(head -c 300 "$d/rep.err")"; return 1; }
    return 0
}

names=("${suite_names[@]}")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$here"/progs/*.c; do n=${f##*/}; names+=("${n%.c}"); done
fi
for name in "${names[@]}"; do
    [ -x "$CONF_BIN/$name" ] || { suite_fail "$name" "not built"; continue; }
    WHY=
    check_one "$name"
    suite_verdict "$name" $? "$WHY"
done
suite_summary
