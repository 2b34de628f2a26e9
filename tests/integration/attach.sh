#!/bin/bash
# `rp record -p PID --backend=$ATTACH_BACKEND` (issue 14; ptrace, and bpf as
# ctest's bpf.attach): a server that has served
# requests and holds state in memory is attached to; it serves more, then
# crashes on one request. Replay starts from the snapshot taken at the attach:
# the same answers (which need the state from before the attach) and the same
# SIGSEGV. Where the CPU can make cpuid fault, its cpuid after the attach is
# answered by rp and recorded. Then: attach and Ctrl-C leave a server that
# answers correctly, untraced, with its vDSO as it was and neither rdtsc nor
# cpuid trapping.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attach_lib.sh"

# check_snapshot_shown NAME PID: rp info's "snapshot:" lines and rp dump's
# paragraph before the first event (text and --json) show the snapshot the
# trace holds: its counts, every mapping, the thread's pc and sp.
check_snapshot_shown() {
    local db=$TMP/$1.db pid=$2 q
    q() { sqlite3 "$db" "$1"; }
    local maps read stored pause unreadable
    maps=$(q 'select count(*) from snapshot_maps')
    read=$(q "select value from meta where key = 'snapshot_bytes_read'")
    stored=$(q "select value from meta where key = 'snapshot_bytes_stored'")
    pause=$(q "select value from meta where key = 'snapshot_pause_us'")
    unreadable=$(q "select value from meta where key = 'snapshot_unreadable_pages'")
    [ "$maps" -gt 3 ] && [ "$read" -gt 0 ] || fail "$1: snapshot tables/meta missing ($maps maps, $read bytes)"
    local counts
    counts="$maps mappings, 1 thread, $read bytes read, $stored stored, paused"
    counts+=" $((pause / 1000)).$(printf %03d $((pause % 1000))) ms, $unreadable unreadable pages"
    run "$TMP/$1.info" "$TMP/$1.info.err" "$RP" info "$db"
    assert_eq "$STATUS" 0 "$1: rp info"
    grep -qxF "snapshot:       taken when rp attached to process $pid, before the first recorded event" \
        "$TMP/$1.info" || { show "$TMP/$1.info"; fail "$1: rp info has no snapshot: line"; }
    grep -qxF "                $counts" "$TMP/$1.info" ||
        { show "$TMP/$1.info"; fail "$1: rp info snapshot counts (want '$counts')"; }

    run "$TMP/$1.dump" "$TMP/$1.dump.err" "$RP" dump "$db"
    assert_eq "$STATUS" 0 "$1: rp dump"
    assert_eq "$(head -1 "$TMP/$1.dump")" \
        "snapshot taken when rp attached to process $pid, before the first recorded event: $counts" \
        "$1: rp dump's first line"
    # The mappings as /proc/PID/maps has them, in the trace's order.
    local want
    want=$(q "select printf('  %012x-%012x %s%s%s%s %08x %s', addr, addr + size,
                 iif(prot & 1, 'r', '-'), iif(prot & 2, 'w', '-'), iif(prot & 4, 'x', '-'),
                 iif(shared, 's', 'p'), offset, path) from snapshot_maps order by addr")
    assert_eq "$(sed -n "2,$((maps + 1))p" "$TMP/$1.dump" | sed 's/ *$//')" "$(sed 's/ *$//' <<<"$want")" \
        "$1: rp dump's snapshot mappings"
    local tline pc sp
    tline=$(sed -n "$((maps + 2))p" "$TMP/$1.dump")
    [[ $tline =~ ^\ \ thread\ $pid:\ pc\ 0x([0-9a-f]+)\ sp\ 0x([0-9a-f]+)$ ]] ||
        { show "$TMP/$1.dump"; fail "$1: rp dump's snapshot thread line '$tline'"; }
    pc=$((16#${BASH_REMATCH[1]})) sp=$((16#${BASH_REMATCH[2]}))
    # pc in an executable mapping, sp in the stack: the registers decoded right.
    assert_eq "$(q "select count(*) from snapshot_maps where prot & 4 and $pc >= addr and $pc < addr + size")" 1 \
        "$1: the snapshot thread's pc is in an executable mapping"
    assert_eq "$(q "select path from snapshot_maps where $sp >= addr and $sp < addr + size")" "[stack]" \
        "$1: the snapshot thread's sp is in the stack"
    # The process's directory, and its stdout and stderr (one file, 2>&1)
    # as what replay echoes.
    [[ $(sed -n "$((maps + 3))p" "$TMP/$1.dump") =~ ^\ \ cwd:\ / ]] ||
        { show "$TMP/$1.dump"; fail "$1: no cwd line after the snapshot's thread"; }
    [[ $(sed -n "$((maps + 4))p" "$TMP/$1.dump") =~ ^\ \ stack\ limit:\ ([0-9]+\ bytes|unlimited)$ ]] ||
        { show "$TMP/$1.dump"; fail "$1: no stack limit line after the cwd"; }
    assert_eq "$(sed -n "$((maps + 5))p" "$TMP/$1.dump")" "  rp's stdout/stderr as: fd 1 (stdout) fd 2 (stderr)" \
        "$1: rp dump's snapshot output fds"
    [[ $(sed -n "$((maps + 6))p" "$TMP/$1.dump") =~ ^\ +[0-9]+\ +$pid\ \  ]] ||
        { show "$TMP/$1.dump"; fail "$1: no event right after the snapshot paragraph"; }

    run "$TMP/$1.json" "$TMP/$1.json.err" "$RP" dump --json "$db"
    assert_eq "$STATUS" 0 "$1: rp dump --json"
    python3 - "$TMP/$1.json" "$pid" "$maps" "$read" "$stored" "$pause" "$unreadable" "$pc" "$sp" <<'PY' ||
import json, sys
path, pid, maps, read, stored, pause, unreadable, pc, sp = sys.argv[1:]
lines = open(path).read().splitlines()
snap, first = json.loads(lines[0]), json.loads(lines[1])
assert snap["type"] == "snapshot", snap["type"]
assert snap["attached_pid"] == int(pid)
assert (snap["bytes_read"], snap["bytes_stored"], snap["pause_us"], snap["unreadable_pages"]) == \
    (int(read), int(stored), int(pause), int(unreadable))
assert len(snap["mappings"]) == int(maps)
assert [t["tid"] for t in snap["threads"]] == [int(pid)]
assert int(snap["threads"][0]["pc"], 16) == int(pc) and int(snap["threads"][0]["sp"], 16) == int(sp)
assert isinstance(snap["stack_limit"], int) and snap["stack_limit"] >= -1, snap["stack_limit"]
assert "seq" in first and not any("type" in json.loads(l) and json.loads(l)["type"] == "snapshot" for l in lines[1:])
PY
        { head -c 2000 "$TMP/$1.json"; fail "$1: rp dump --json's snapshot object"; }
}

# ---- attach, crash, replay ----
start_server s
send s "set a 1" "set b 2" "get a"
before=$(wc -l <"$TMP/s.out")
attach s
send s "set c 3" "get b" "get c" "count" "time" "tsc" "cpuid" "cpu" "thread" "peek"
echo "del never-stored" >"$TMP/s.fifo"
wait "$RP_PID"
assert_eq "$?" 139 "rp record -p: exit status (the server's SIGSEGV)"
wait "$SERVER_PID"
assert_eq "$?" 139 "the server's own status"
tail -n "+$((before + 1))" "$TMP/s.out" >"$TMP/s.rec"
assert_contains "$TMP/s.rec" "b=2" "the recorded answers"
# A thread started after the attach (glibc does not register rseq in it
# since rp unregistered the creating thread's: a failure would be fatal).
assert_contains "$TMP/s.rec" "thread 24" "the recorded answers"
assert_contains "$TMP/s.rec" "peek ELF" "the recorded answers"  # a shared read-only mapping
REC_STATUS=139
assert_replays_match s
run "$TMP/check.out" "$TMP/check.err" "$RP" check "$TMP/s.db"
assert_eq "$STATUS" 0 "rp check of the attach trace"
# The kernel no longer writes the cpu number into glibc's rseq area (rp
# unregistered it): sched_getcpu asked the kernel, and that is recorded.
run "$TMP/dump.out" "$TMP/dump.err" "$RP" dump "$TMP/s.db"
assert_contains "$TMP/dump.out" "getcpu(" "rp dump of the attach trace"
cpuid_trapped=$(sqlite3 "$TMP/s.db" "SELECT value FROM meta WHERE key='cpuid_trapped'")
if grep -qw cpuid_fault /proc/cpuinfo; then
    assert_eq "$cpuid_trapped" 1 "meta cpuid_trapped of the attach trace"
    assert_contains "$TMP/dump.out" " cpuid(0x1, 0) = " "the server's cpuid after the attach, recorded"
else
    assert_eq "$cpuid_trapped" 0 "meta cpuid_trapped where the CPU cannot fault cpuid"
fi
check_snapshot_shown s "$SERVER_PID"

# ---- attach, then Ctrl-C: the server runs on as before ----
start_server d
send d "set k v" "vdso"
vdso_before=$(tail -1 "$TMP/d.out")
before=$(wc -l <"$TMP/d.out")
cpus() { sed -n 's/^Cpus_allowed_list:\s*//p' "/proc/$SERVER_PID/status"; }
personality_before=$(cat "/proc/$SERVER_PID/personality")
cpus_before=$(cpus)
attach d
send d "count" "tsc" "cpuid" "time" "cpu"
kill -INT "$RP_PID"
wait "$RP_PID"
assert_eq "$?" 0 "rp record -p after Ctrl-C: exit status"
assert_contains "$TMP/d.rec.err" "detached from process $SERVER_PID" "rp's message"
# Everything rp changed is undone without a complaint (under a kernel
# backend's seccomp filter rseq stays unregistered: rp does not try).
! grep -v "rdtsc does not trap on this machine" "$TMP/d.rec.err" | grep -q "warning" || { show "$TMP/d.rec.err"; fail "rp warned at the detach"; }
# What a kernel backend cannot undo (its seccomp filter) is said, once.
if [ "$ATTACH_BACKEND" = ptrace ]; then
    ! grep -q "keeps rp's seccomp filter" "$TMP/d.rec.err" || fail "ptrace: a seccomp note at the detach"
else
    assert_contains "$TMP/d.rec.err" "keeps rp's seccomp filter" "the note on the filter left behind"
fi
tracer=$(sed -n 's/^TracerPid:\s*//p' "/proc/$SERVER_PID/status")
assert_eq "$tracer" 0 "TracerPid of the server after the detach"
# Programs it runs are randomized again; kernel backends: its CPUs are its own.
assert_eq "$(cat "/proc/$SERVER_PID/personality")" "$personality_before" "the server's personality after the detach"
assert_eq "$(cpus)" "$cpus_before" "the server's CPU affinity after the detach"
tail -n "+$((before + 1))" "$TMP/d.out" >"$TMP/d.rec"
send d "get k" "tsc" "cpuid" "vdso" "count"
tail -5 "$TMP/d.out" >"$TMP/d.after"
printf 'k=v\ntsc ok\ncpuid ok\n%s\ncount 12\n' "$vdso_before" >"$TMP/d.want"
assert_same_file "$TMP/d.after" "$TMP/d.want" "the server's answers after the detach"
send d "quit"
wait "$SERVER_PID"
assert_eq "$?" 0 "the server's exit status after the detach"
# The trace of a detached recording replays up to the detach.
REC_STATUS=0
assert_replays_match d
echo PASS
