#!/bin/bash
# A new thread switched out at its first instruction (recorded by a kernel
# backend: common when threads start often, CI's bpf.attach had one) is
# already at the recorded point when replay creates it, with every signal
# blocked (glibc's pthread_create blocks them around clone). Replay must
# stop it there all the same (replay/point_search.cc stop_in_place), not
# report "cannot stop the thread where it is (a syscall stop)".
#   new_thread_switch.sh BACKEND    (bpf; exit 77 when the backend is unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"

# first_instruction_switches DUMP: how many threads' first event is a
# switch with the stack pointer their clone gave them (their first
# instruction: nothing pushed yet).
first_instruction_switches() {
    awk '
        / clone\(child_stack=/ { match($0, /child_stack=0x[0-9a-f]+/); stacks[substr($0, RSTART + 12, RLENGTH - 12)] = 1 }
        $1 ~ /^[0-9]+$/ && !($2 in seen) {
            seen[$2] = 1
            if ($0 ~ /--- switched out in user code/ && match($0, /sp=0x[0-9a-f]+/) &&
                (substr($0, RSTART + 3, RLENGTH - 3) in stacks)) n++
        }
        END { print n + 0 }' "$1"
}

# Such a switch is up to the scheduler: record until one has it. It needs
# another runnable task on the recording's CPU when a thread starts: on a
# quiet machine (CI93) 12 recordings had none, so a busy loop per CPU gives
# the scheduler something else to run. 30 misses in a row would be a change
# worth a look.
hogs=()
for cpu in $(seq 0 $(($(nproc) - 1))); do
    taskset -c "$cpu" sh -c 'while :; do :; done' &
    hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null; cleanup' EXIT  # lib.sh's cleanup too
found=0
for attempt in $(seq 1 30); do
    "$RP" record -q -b "$backend" -o "$TMP/t.db" -- "$SAMPLES/sample_thread_churn" 2000 \
        >"$TMP/rec" 2>"$TMP/rec.err" || { show "$TMP/rec.err"; fail "recording failed"; }
    "$RP" dump "$TMP/t.db" >"$TMP/dump" 2>&1 || fail "rp dump failed"
    found=$(first_instruction_switches "$TMP/dump")
    [ "$found" -gt 0 ] && break
    rm -f "$TMP/t.db"
done
kill "${hogs[@]}" 2>/dev/null
[ "$found" -gt 0 ] || fail "no recording of 30 had a thread switched out at its first instruction"

"$RP" replay "$TMP/t.db" >"$TMP/rep" 2>"$TMP/rep.err"
status=$?
[ "$status" -eq 0 ] || { show "$TMP/rep.err"; fail "replay exited $status"; }
assert_same_file "$TMP/rep" "$TMP/rec" "replay output"
echo "ok: recording $attempt had $found threads switched out at their first instruction; replayed: $(cat "$TMP/rep")"
