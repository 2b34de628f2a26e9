#!/bin/bash
# Where rdtsc cannot trap (a hypervisor that accepts PR_SET_TSC and ignores
# it), rp patches each rdtsc/rdtscp of the program's code into an int that
# faults (common/insn.h, docs/design.md "rdtsc and rdtscp"). RP_RDTSC=patch
# makes rp do so on any machine and leave rdtsc untrapped, as such a machine
# would: a read the sweep missed would then go unrecorded and its replay
# would differ. Under each backend:
# - sample_rdtsc_static: an rdtsc and an rdtscp in the program itself (swept
#   at exec);
# - sample_rdtsc: the same program dynamically linked, plus ld.so's own
#   reads at startup (the interpreter, swept at exec): more than 2;
# - sample_counter_lib: 5 reads in a DT_NEEDED library and 5 in a dlopen'ed
#   plugin (swept at the mmap that maps them: at the ptrace backend's exit
#   stop, or the kernel backends' seccomp stop).
# - sample_rdtsc_data: .rodata in the executable segment holding the bytes
#   of an rdtsc and an rdtscp; rp must leave them alone (it sweeps the
#   file's code sections only) and the program says its data is intact.
# - sample_counter_lib under --ring, its plugin mapped after the snapshot the
#   trace starts from.
# Each trace holds the reads and replays exactly, twice.
# Then replay's side: a trace recorded as this machine does (reads trapped
# where rdtsc traps) replayed with RP_RDTSC=patch, as on a machine where it
# cannot trap: replay patches the reads itself so they still stop there.
. "$(dirname "$0")/lib.sh"

run "$TMP/bad.out" "$TMP/bad.err" env RP_RDTSC=sometimes "$RP" record -q -o "$TMP/bad.db" -- /bin/true
assert_rp_error "$TMP/bad.err" "$STATUS" "RP_RDTSC=sometimes"

meta() { sqlite3 "$TMP/$1.db" "SELECT value FROM meta WHERE key='$2'"; }

find_backends
for backend in "${backends[@]}"; do
    for prog in rdtsc_static:2 rdtsc:3 counter_lib:10 rdtsc_data:1; do
        sample=${prog%%:*} least=${prog##*:} name=$backend-${prog%%:*}
        note "$name"
        run "$TMP/$name.rec" "$TMP/$name.rec.err" env RP_RDTSC=patch "$RP" record -q \
            --backend="$backend" -o "$TMP/$name.db" -- "$SAMPLES/sample_$sample"
        [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $STATUS"; }
        REC_STATUS=$STATUS
        assert_eq "$(meta "$name" rdtsc_patched)" 1 "$name: meta rdtsc_patched"
        assert_eq "$(meta "$name" rdtsc_trapped)" 0 "$name: meta rdtsc_trapped"
        "$RP" dump "$TMP/$name.db" >"$TMP/$name.dump" || fail "$name: rp dump failed"
        reads=$(grep -cE ' rdtscp? = rax' "$TMP/$name.dump")
        note "$name: $reads rdtsc reads recorded"
        [ "$reads" -ge "$least" ] || { show "$TMP/$name.dump"; fail "$name: $reads rdtsc reads in the trace, expected at least $least"; }
        "$RP" info "$TMP/$name.db" >"$TMP/$name.info"
        assert_contains "$TMP/$name.info" "patched in the program's code" "$name: rp info"
        [ "$sample" != rdtsc_data ] || assert_contains "$TMP/$name.rec" "read-only data intact" \
            "$name: the program's read-only data under rp record"
        assert_replays_match "$name"  # twice, as the recording printed and exited
    done
done

# A --ring recording starts from its last snapshot: the sweeps noted before
# it (the exec's, libc's) are in the snapshot's memory and must not be taken
# for the plugin's sweep after it (sample_counter_lib N: N getppid calls,
# then the dlopen).
for backend in "${backends[@]}"; do
    name=ring-$backend
    note "$name"
    run "$TMP/$name.rec" "$TMP/$name.rec.err" env RP_RDTSC=patch "$RP" record -q --ring 64K \
        --save-on exit --backend="$backend" -o "$TMP/$name.db" -- "$SAMPLES/sample_counter_lib" 20000
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $STATUS"; }
    REC_STATUS=$STATUS
    "$RP" info "$TMP/$name.db" >"$TMP/$name.info"
    assert_contains "$TMP/$name.info" "taken after event" "$name: rp info (a snapshot)"
    assert_replays_match "$name"
done

note "replay: RP_RDTSC=patch"
for backend in "${backends[@]}"; do
    name=replay-$backend
    run "$TMP/$name.rec" "$TMP/$name.rec.err" "$RP" record -q --backend="$backend" \
        -o "$TMP/$name.db" -- "$SAMPLES/sample_counter_lib"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $STATUS"; }
    note "$name: recorded with rdtsc_trapped=$(meta "$name" rdtsc_trapped) rdtsc_patched=$(meta "$name" rdtsc_patched)"
    run "$TMP/$name.rep" "$TMP/$name.rep.err" env RP_RDTSC=patch "$RP" replay "$TMP/$name.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.rep.err"; fail "$name: replay exited $STATUS"; }
    assert_same_file "$TMP/$name.rec" "$TMP/$name.rep" "$name: replay vs recording"
done
run "$TMP/bad.out" "$TMP/bad.err" env RP_RDTSC=1 "$RP" replay "$TMP/replay-ptrace.db"
assert_rp_error "$TMP/bad.err" "$STATUS" "replay with RP_RDTSC=1"

# A process killed at the exit stop of the mmap that mapped libc's code,
# before rp swept it (rp record --end-with-program killing what the program
# left running, under load): its trace has the mmap and no note for it, and
# nothing of the process after it but its death. Made from a real trace: the
# events after that mmap cut, its note dropped, the death a SIGKILL. Replay
# has nothing to patch there (no code ran after it) and ends as recorded.
note "killed at a sweep's stop"
name=killed-sweep
run "$TMP/$name.rec" "$TMP/$name.rec.err" env RP_RDTSC=patch "$RP" record -q --backend=ptrace \
    -o "$TMP/$name.db" -- /bin/true
[ "$STATUS" -eq 0 ] || { show "$TMP/$name.rec.err"; fail "$name: recording exited $STATUS"; }
last=$(sqlite3 "$TMP/$name.db" "select max(idx) from lists where kind='counter_code'")
lo=$(sqlite3 "$TMP/$name.db" "select value from lists where kind='counter_code' and idx=$last" | cut -d' ' -f2)
at=$(sqlite3 "$TMP/$name.db" "select seq from events where kind=1 and ret=$lo and a2 & 4")
[ -n "$at" ] || fail "$name: no mmap of the last swept code ($lo)"
sqlite3 "$TMP/$name.db" "delete from events where seq > $at and kind != 3; delete from mem where seq > $at;
    update events set ret = 9 where kind = 3; update tasks set exit_status = 9;
    delete from lists where kind = 'counter_code' and idx = $last;
    update meta set value = (select count(*) from events) where key = 'event_count';
    update meta set value = 137 where key = 'exit_code'; update meta set value = 9 where key = 'exit_status'" ||
    fail "$name: sqlite3"
run "$TMP/$name.chk" "$TMP/$name.chk.err" "$RP" check "$TMP/$name.db"
assert_eq "$STATUS" 0 "$name: rp check ($(head -c 200 "$TMP/$name.chk"))"
run "$TMP/$name.rep" "$TMP/$name.rep.err" "$RP" replay "$TMP/$name.db"
assert_eq "$STATUS" 137 "$name: replay's status ($(head -c 300 "$TMP/$name.rep.err"))"
echo PASS
