#!/bin/bash
# Zero loss is a guarantee (issue 12): with a 1 MiB ring (RP_RING_MB=1), 8
# threads reading 1 MiB and 192 KiB at once cannot fit; every record that does
# not fit must go through the stop-and-read path. The trace must then hold every
# sequence number the producer handed out (each syscall takes two: its entry's
# and its own), every read whole, and meta lost_records 0.
. "$(dirname "$0")/lib.sh"
require_bpf
PROG=$(dirname "$RP")/tests/bpf/many_readers
[ -x "$PROG" ] || fail "$PROG not built"

THREADS=8 ROUNDS=12
BPF_ENV=RP_RING_MB=1 record_bpf zl "$PROG" $THREADS $ROUNDS
assert_eq "$REC_STATUS" 0 "zero_loss: recorded exit status"
assert_contains "$TMP/zl.rec" "bytes read $((THREADS * ROUNDS * (1048576 + 196608)))"

assert_many_readers_lossless "$TMP/zl.db" zero_loss $THREADS $ROUNDS
echo PASS
