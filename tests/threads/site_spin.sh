#!/bin/bash
# A switch recorded at the instruction right after a syscall site replay's
# agent patches, whose last patched instruction is one byte long: the
# search's hardware breakpoint there stops the thread one past the start of
# an instruction inside the patched bytes, where an int3 filler's trap would
# also leave it. Replay must take it as the breakpoint it is (si_code), not
# send the thread to that instruction's copy, which runs back into the
# breakpoint forever (samples/site_spin.c).
#   site_spin.sh BACKEND    (bpf; exit 77 when the backend is unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"
source "$here/record_until.sh"
[ "$(uname -m)" = x86_64 ] || { echo "x86_64 only (the agent)"; exit 77; }

# switches_at_loop DUMP: switches at the loop's first instruction (its
# address is the program's first line of output).
switches_at_loop() {
    local at
    at=$(sed -n 's/^loop at //p' "$TMP/rec")
    grep -c -- "--- switched out in user code at ip=$at " "$1"
}

record_until switches_at_loop "a switch at the loop's first instruction" "$SAMPLES/sample_site_spin"
replay_matches
echo "ok: recording $attempt had $found switches right after the patched site; replayed: $(tr '\n' ' ' <"$TMP/rep")"
