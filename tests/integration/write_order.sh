#!/bin/bash
# The ptrace recorder's slot (one thread of a process runs at a time): a
# write still running in the kernel keeps it; one asleep there (blocked), and
# any other call, gives it up after the grace period. samples/write_order's main thread
# writes 16 MiB to stdout (milliseconds in the kernel, running) while a
# second thread wants to write a short line. Given the slot after 1 ms, the
# second thread's write once came between the large write's entry and its
# numbered return; on the single-CPU arm64 VM such a write's return was
# numbered after its sibling's later writes, and replay printed the lines in
# another order than the recording with no divergence (tests/arm64, threads).
# Checked here on the trace: no short write enters while a large one runs.
# The output goes to a tmpfs: on a disk file system the kernel may put the
# large write to sleep (dirty page throttling), and that one rightly gives
# up the slot.
[ -d /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" = tmpfs ] || { echo "FAIL: /dev/shm is not a tmpfs"; exit 1; }
export RP_KEEP_FAILED=${RP_KEEP_FAILED:-${TMPDIR:-/tmp}} TMPDIR=/dev/shm
. "$(dirname "$0")/lib.sh"

rounds=3
RP_BACKEND=ptrace record wo "$SAMPLES/sample_write_order" "$rounds" 16
[ "$REC_STATUS" -eq 0 ] || { show "$TMP/wo.rec.err"; fail "recording exited $REC_STATUS"; }
assert_eq "$(grep -c '^short line$' "$TMP/wo.rec")" "$rounds" "short lines written"
"$RP" dump --json "$TMP/wo.db" >"$TMP/wo.json" || fail "rp dump failed"
# Each write as "ENTRY EXIT LENGTH", in the order of their returns.
grep '"name":"write"' "$TMP/wo.json" |
    sed -n 's/.*"seq":\([0-9]*\),.*"args":\["1","[^"]*","\([0-9]*\)"\].*"entry_seq":\([0-9]*\).*/\3 \1 \2/p' \
        >"$TMP/writes"
assert_eq "$(wc -l <"$TMP/writes")" $((2 * rounds)) "writes found in the trace"
overlaps=$(awk '$3 > 1000 { e[n] = $1; x[n++] = $2 }
                $3 <= 1000 { s[m++] = $1 }
                END { c = 0; for (i = 0; i < n; i++) for (j = 0; j < m; j++)
                        if (s[j] > e[i] && s[j] < x[i]) c++; print c }' "$TMP/writes")
note "short writes entered while a large one ran: $overlaps of $rounds"
assert_eq "$overlaps" 0 "short writes entered while a large write ran"
assert_replays_match wo
echo PASS
