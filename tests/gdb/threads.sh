#!/bin/bash
# Threads: at a breakpoint inside the worker, once all four workers exist,
# `info threads` lists the five threads under their recorded tids, and
# `thread 2` switches to the worker gdb lists as 2 (wherever it is by then).
. "$(dirname "$0")/gdb_lib.sh"

src=$(dirname "$0")/../../samples/threads.c
line=$(grep -n 'write(1, line' "$src" | cut -d: -f1)
[ -n "$line" ] || fail "no write(1, line...) in $src"

# A recording where the fourth worker is created before any worker ends
# (the usual case; a worker could in principle finish first).
ok=""
for i in $(seq 1 10); do
    record th "$SAMPLES/sample_threads"
    "$RP" dump "$TMP/th.db" >"$TMP/th.dump"
    last_clone=$(awk '/ clone\(/ && !/= -1/ {s = $1} END {print s}' "$TMP/th.dump")
    main=$(awk 'NR == 1 {print $2}' "$TMP/th.dump")
    first_exit=$(awk -v m="$main" '/\+\+\+/ && $2 != m {print $1; exit}' "$TMP/th.dump")
    [ -n "$last_clone" ] && [ -n "$first_exit" ] && [ "$last_clone" -lt "$first_exit" ] && { ok=1; break; }
done
[ -n "$ok" ] || fail "no recording had all five threads alive at once"
tids=$(awk '{print $2}' "$TMP/th.dump" | grep -E '^[0-9]+$' | sort -un)
assert_eq "$(echo "$tids" | wc -l)" 5 "threads in the recording"

cat >"$TMP/s.gdb" <<EOF
break threads.c:$line
continue
while \$_inferior_thread_count < 5
  continue
end
info threads
thread 2
bt 1
thread
EOF
gdb_session th "$TMP/s.gdb"
out=$TMP/th.gdb.out
assert_in_order "$out" "hit Breakpoint 1, worker" "^  Id +Target Id"
listed=$(grep -oE '^[* ] +[0-9]+ +Thread [0-9]+' "$out" | awk '{print $NF}' | sort -un)
assert_eq "$listed" "$tids" "the threads info threads lists (recorded tids)"
# gdb numbers threads as it first hears of them: the thread of the first stop
# comes first, and which worker hits the breakpoint first is the recorded
# order (under a kernel backend, a preemption can let a later worker in).
second=$(grep -oE '^[* ] +2 +Thread [0-9]+' "$out" | awk '{print $NF}')
[ -n "$second" ] || fail "info threads lists no thread 2"
[ "$second" != "$main" ] || fail "gdb's thread 2 is the main thread"
assert_in_order "$out" "^  Id +Target Id" \
    "^\[Switching to thread 2 \(Thread $second\)\]" \
    "^#0 " "^\[Current thread is 2 \(Thread $second\)\]"
echo PASS
