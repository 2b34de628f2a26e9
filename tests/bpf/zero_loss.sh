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

db=$TMP/zl.db
meta() { sqlite3 "$db" "select value from meta where key = '$1'"; }
assert_eq "$(meta lost_records)" 0 "zero_loss: meta lost_records"
stalls=$(meta kernel_stalls)
[ "${stalls:-0}" -ge $((THREADS * ROUNDS)) ] ||
    fail "zero_loss: expected >= $((THREADS * ROUNDS)) stalls (every 1 MiB read), got '$stalls'"
assert_eq "$(meta kernel_assisted)" "$stalls" "zero_loss: every stall completed from user space"

# Every number in 1..max(seq) is some event's seq or entry_seq.
read -r have top < <(sqlite3 -separator ' ' "$db" \
    "select count(*), max(s) from (select seq as s from events union
                                   select entry_seq from events where entry_seq is not null)")
assert_eq "$have" "$top" "zero_loss: sequence numbers present of 1..$top"

# Every read of the program stored whole: one memory record of the size it returned.
bad=$(sqlite3 "$db" "select count(*) from events e where e.kind = 1 and e.nr = (select nr from syscall_names where name = 'read') and e.ret > 0
                     and (select coalesce(sum(size), 0) from mem m where m.seq = e.seq and m.input = 0) != e.ret")
assert_eq "$bad" 0 "zero_loss: reads not stored whole"
big=$(sqlite3 "$db" "select count(*) from events where kind = 1 and ret = 1048576 and nr = (select nr from syscall_names where name = 'read')")
assert_eq "$big" $((THREADS * ROUNDS)) "zero_loss: 1 MiB reads in the trace"
echo PASS
