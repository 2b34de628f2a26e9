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
source "$here/record_until.sh"

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

record_until first_instruction_switches "a thread switched out at its first instruction" \
    "$SAMPLES/sample_thread_churn" 2000
replay_matches
echo "ok: recording $attempt had $found threads switched out at their first instruction; replayed: $(cat "$TMP/rep")"
