#!/bin/bash
# A forked child that forks again and is switched out in user code before
# its next syscall (recorded by a kernel backend): replay searches that
# point from where the child's fork returned. glibc's fork then branches
# into the bytes replay's agent patched at the set_robust_list site of
# fork's own child path, which that child ran: the int3 filler there traps.
# Replay must go on in the instruction's copy (agent_interior_trap), not
# report "unexpected SIGTRAP" at the switch (issue 11: python3 under bpf).
#   fork_switch.sh BACKEND    (bpf; exit 77 when the backend is unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"
source "$here/record_until.sh"

# switches_after_fork DUMP: how many switches a forked task (not the first
# one) had after its own fork (a clone without CLONE_VM) returned and
# before its next syscall.
switches_after_fork() {
    awk '
        $1 !~ /^[0-9]+$/ { next }
        root == "" { root = $2 }
        $2 == root { next }
        / clone\(/ && !/CLONE_VM/ { forked[$2] = 1; next }
        /--- switched out in user code/ { if (forked[$2]) n++; next }
        { forked[$2] = 0 }
        END { print n + 0 }' "$1"
}

record_until switches_after_fork "a switch right after a fork returned" \
    "$SAMPLES/sample_fork_switch"
replay_matches
echo "ok: recording $attempt had $found switches right after a fork; replayed: $(cat "$TMP/rep")"
