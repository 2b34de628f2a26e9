#!/bin/bash
# A thread switched out after its syscall instruction and before the call's
# entry tracepoint (recorded by a kernel backend): it waits in a seccomp
# filter that hands the call to a supervisor thread (samples/notif_switch.c),
# so every call is such a switch. Its registers are those of the call's
# entry (x86_64: orig_rax the number, rax -ENOSYS), which user code never
# holds: replay must reach the point at the call's entry stop, not report
# "the program made a syscall before reaching the recorded point" (issue 11:
# python3 under bpf, once in CI98, preempted on its way into rt_sigaction).
#   notif_switch.sh BACKEND    (bpf; exit 77 when the backend is unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"

[ "$(uname -m)" = x86_64 ] || { echo "x86_64 only: arm64's registers do not show a syscall's entry"; exit 77; }

"$RP" record -q -b "$backend" -o "$TMP/t.db" -- "$SAMPLES/sample_notif_switch" 20 \
    >"$TMP/rec" 2>"$TMP/rec.err" || { show "$TMP/rec.err"; fail "recording failed"; }
"$RP" dump "$TMP/t.db" >"$TMP/dump" 2>&1 || fail "rp dump failed"
entering=$(grep -c -- "--- switched out entering a syscall at ip=0x" "$TMP/dump")
[ "$entering" -gt 0 ] || { show "$TMP/dump"; fail "no switch recorded at a syscall's entry"; }
for i in 1 2 3; do replay_matches; done
echo "ok: $entering switches at a syscall's entry; replayed 3 times: $(cat "$TMP/rep")"
