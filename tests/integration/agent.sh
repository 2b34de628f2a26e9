#!/bin/bash
# The in-process replay agent (replay/agent/, docs/design.md "The replay
# agent"): most syscalls of a getppid loop (dynamic, and static: non-PIE,
# its text in the low 2 GiB) and of a pread loop are answered inside the
# program (RP_AGENT_STATS counts them; 64 KiB reads 15 to a window), and of
# a program that writes lines and sends datagrams (the agent copies what they
# send; replay checks and prints it), and of one whose read a signal
# interrupts (the handler sees the program's address, not the stub's), the
# output is the recording's,
# RP_AGENT=0 replays the same without it, and a call that differs from the
# recording inside the answered stretch is still reported as a divergence. Programs that use ptrace
# keep the agent: their tracer's POKEDATA and SETREGS still reach the tracee
# (the agent does not answer them), and a POKETEXT into the tracee's code
# never cuts through a patched site. A program with a recorded thread switch
# keeps it too. Sends are counted with a trace of each backend.
source "$(dirname "$0")/lib.sh"
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: the agent is x86_64 only"; exit 0; }
export RP_BACKEND=ptrace  # syscalls in one order the agent can follow (as the benchmark)

# answered FILE: the number of calls the agent answered, from its statistics line.
answered() { sed -n 's/^rp: agent: on, answered \([0-9]*\) of.*/\1/p' "$1"; }
# windows FILE: how many windows the agent answered them from (one ptrace stop each).
windows() { sed -n 's/^rp: agent: on, answered [0-9]* of [0-9]* syscalls in the program (\([0-9]*\) windows).*/\1/p' "$1"; }

replay_with_agent() { # NAME
    local name=$1
    RP_AGENT_STATS=1 run "$TMP/$name.on" "$TMP/$name.on.err" "$RP" replay -q "$TMP/$name.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/$name.on.err"; fail "$name: replay with the agent exited $STATUS"; }
    RP_AGENT_STATS=1 run "$TMP/$name.out" "$TMP/$name.out.err" "$RP" replay "$TMP/$name.db"
    assert_same_file "$TMP/$name.rec" "$TMP/$name.out" "$name: replay stdout vs recording"
    RP_AGENT=0 RP_AGENT_STATS=1 run "$TMP/$name.off" "$TMP/$name.off.err" "$RP" replay "$TMP/$name.db"
    assert_same_file "$TMP/$name.rec" "$TMP/$name.off" "$name: replay without the agent vs recording"
    assert_contains "$TMP/$name.off.err" "rp: agent: off, answered 0" "$name: RP_AGENT=0"
}

note "getppid loop: answered in the program"
record getppid "$SAMPLES/sample_getppid_loop" 3000
replay_with_agent getppid
n=$(answered "$TMP/getppid.on.err")
[ -n "$n" ] && [ "$n" -ge 2900 ] || { show "$TMP/getppid.on.err"; fail "getppid: the agent answered '${n}' of 3000 calls"; }
# A ptrace stop costs two CR4 writes unless rp's thread traps rdtsc like the
# program (common/tracer_tsc.h); a clock read by the vDSO in its loop would fault.
for v in on off; do
    assert_contains "$TMP/getppid.$v.err" "rp: replay loop: rdtsc trapped in rp's thread, 0 rdtsc faults" \
        "getppid (agent $v): the replay loop traps rdtsc without faults"
done

note "static (non-PIE) getppid loop: stubs above the low text, reached over an invalid-opcode filler"
record static "$SAMPLES/sample_getppid_loop_static" 3000
replay_with_agent static
n=$(answered "$TMP/static.on.err")
[ -n "$n" ] && [ "$n" -ge 2900 ] || { show "$TMP/static.on.err"; fail "static: the agent answered '${n}' of 3000 calls"; }
! grep -q "replay agent not used" "$TMP/static.out.err" || { show "$TMP/static.out.err"; fail "static: rp said the agent was not used"; }

note "a branch into patched bytes (int3 filler, and static: invalid opcode, SIGILL) goes to the copy"
for v in "" _static; do
    record reentry$v "$SAMPLES/sample_syscall_reentry$v" 2000
    replay_with_agent reentry$v
    n=$(answered "$TMP/reentry$v.on.err")
    [ -n "$n" ] && [ "$n" -ge 1900 ] || { show "$TMP/reentry$v.on.err"; fail "reentry$v: the agent answered '${n}' of 2000 calls"; }
done

note "a trace the agent is not used for (an attach's): one line on stderr says why, none with -q"
mkfifo "$TMP/go" || fail "mkfifo"
bash -c "read -r _ <'$TMP/go'; echo after the attach" >"$TMP/snap.prog" 2>&1 </dev/null &
sh_pid=$!
BG_PIDS+=("$sh_pid")
"$RP" record -p "$sh_pid" --backend=ptrace -o "$TMP/snap.db" 2>"$TMP/snap.rec.err" </dev/null &
rp_pid=$!
BG_PIDS+=("$rp_pid")
for _ in $(seq 600); do
    grep -q "attached to process" "$TMP/snap.rec.err" && break
    kill -0 "$rp_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q "attached to process" "$TMP/snap.rec.err" || { show "$TMP/snap.rec.err"; fail "snap: rp did not attach"; }
echo go >"$TMP/go"
wait "$rp_pid" || { show "$TMP/snap.rec.err"; fail "snap: rp record -p failed"; }
run "$TMP/snap.out" "$TMP/snap.err" "$RP" replay "$TMP/snap.db"
[ "$STATUS" -eq 0 ] || { show "$TMP/snap.err"; fail "snap: replay exited $STATUS"; }
assert_same_file "$TMP/snap.prog" "$TMP/snap.out" "snap: replay stdout vs recording"
assert_eq "$(grep -c "^rp: replay agent not used: the trace starts from a snapshot" "$TMP/snap.err")" 1 \
    "snap: the line saying the agent is not used"
run "$TMP/snap.q" "$TMP/snap.q.err" "$RP" replay -q "$TMP/snap.db"
[ "$STATUS" -eq 0 ] || { show "$TMP/snap.q.err"; fail "snap: replay -q exited $STATUS"; }
! grep -q "replay agent not used" "$TMP/snap.q.err" || fail "snap: replay -q said it"

note "pread loop: 64 KiB outputs written by the agent"
head -c $((1024 * 1024)) /dev/urandom >"$TMP/data.bin"
record pread "$SAMPLES/sample_read64k" "$TMP/data.bin" 300
replay_with_agent pread
n=$(answered "$TMP/pread.on.err")
[ -n "$n" ] && [ "$n" -ge 250 ] || { show "$TMP/pread.on.err"; fail "pread: the agent answered '${n}' of 300 calls"; }
# A 1 MiB window holds 15 of these reads: one ptrace stop per 15 reads, not per 7 (512 KiB).
w=$(windows "$TMP/pread.on.err")
[ -n "$w" ] && [ "$w" -gt 0 ] && [ $((n / w)) -ge 12 ] ||
    { show "$TMP/pread.on.err"; fail "pread: ${n} calls answered from '${w}' windows (fewer than 12 a window)"; }

note "a call that differs inside the answered stretch is a divergence"
cp "$TMP/pread.db" "$TMP/bad.db"
sqlite3 "$TMP/bad.db" "update events set a0 = a0 + 1 where seq = (select seq from events
    where nr = 17 order by seq limit 1 offset 200)" || fail "sqlite3 update"
RP_AGENT_STATS=1 run "$TMP/bad.out" "$TMP/bad.err" "$RP" replay -q "$TMP/bad.db"
[ "$STATUS" -ne 0 ] || fail "modified trace: replay exited 0"
assert_contains "$TMP/bad.err" "replay diverged at event" "modified trace"
assert_contains "$TMP/bad.err" "argument 1 differs" "modified trace"
n=$(answered "$TMP/bad.err")
[ -n "$n" ] && [ "$n" -ge 150 ] || { show "$TMP/bad.err"; fail "modified trace: the agent answered '${n}' calls before it"; }
note "outputs the program cannot take: a divergence at that event"
cp "$TMP/pread.db" "$TMP/badmem.db"
seq=$(sqlite3 "$TMP/badmem.db" "select seq from events where nr = 17 order by seq limit 1 offset 200")
sqlite3 "$TMP/badmem.db" "update mem set addr = 4096 where seq = $seq" || fail "sqlite3 update"
RP_AGENT_STATS=1 run "$TMP/badmem.out" "$TMP/badmem.err" "$RP" replay -q "$TMP/badmem.db"
[ "$STATUS" -ne 0 ] || fail "unwritable output: replay exited 0"
assert_contains "$TMP/badmem.err" "replay diverged at event $seq " "unwritable output"
n=$(answered "$TMP/badmem.err")
[ -n "$n" ] && [ "$n" -ge 150 ] || { show "$TMP/badmem.err"; fail "unwritable output: the agent answered '${n}' calls before it"; }
note "calls that send bytes (write, writev, sendto, sendmsg): answered, what they sent checked and printed"
record sends "$SAMPLES/sample_sends" 1000
replay_with_agent sends
n=$(answered "$TMP/sends.on.err")
# 3 calls a round (write or writev, sendto or sendmsg, recv): most of the 3000 go to the agent.
[ -n "$n" ] && [ "$n" -ge 2800 ] || { show "$TMP/sends.on.err"; fail "sends: the agent answered '${n}' of about 3000 calls"; }
cp "$TMP/sends.db" "$TMP/badsend.db"
seq=$(sqlite3 "$TMP/badsend.db" "select seq from events where nr = 20 order by seq limit 1 offset 300")
sqlite3 "$TMP/badsend.db" "update events set in_hash = in_hash + 1 where seq = $seq" || fail "sqlite3 update"
RP_AGENT_STATS=1 run "$TMP/badsend.out" "$TMP/badsend.err" "$RP" replay "$TMP/badsend.db"
[ "$STATUS" -eq 125 ] || { show "$TMP/badsend.err"; fail "a writev whose bytes differ: replay exited $STATUS"; }
assert_contains "$TMP/badsend.err" "replay diverged at event $seq " "a writev whose bytes differ"
assert_contains "$TMP/badsend.err" "the data it sends differs from the recording" "a writev whose bytes differ"
assert_contains "$TMP/badsend.err" "answered by the replay agent" "a writev whose bytes differ: the agent's"
# Printed up to the call before it: the recording's first 600 lines.
head -n 600 "$TMP/sends.rec" >"$TMP/badsend.want"
assert_same_file "$TMP/badsend.want" "$TMP/badsend.out" "a writev whose bytes differ: what was printed"

note "sends recorded by the eBPF backend (hashed at sys_exit in the kernel): answered the same"
find_backends
if [[ " ${backends[*]} " == *" bpf "* ]]; then
    RP_BACKEND=bpf record sendsbpf "$SAMPLES/sample_sends" 1000
    replay_with_agent sendsbpf
    n=$(answered "$TMP/sendsbpf.on.err")
    [ -n "$n" ] && [ "$n" -ge 2800 ] || { show "$TMP/sendsbpf.on.err"; fail "sends (bpf): the agent answered '${n}' of about 3000 calls"; }
fi

note "a signal that interrupts a patched call: its handler sees the program's address, the site stays patched"
record sigcall "$SAMPLES/sample_signal_in_call" 20
replay_with_agent sigcall
assert_contains "$TMP/sigcall.out" "one address: yes" "sigcall: the interrupted address"
assert_contains "$TMP/sigcall.on.err" " 0 refused" "sigcall: no site refused for the signal recorded at it"
n=$(answered "$TMP/sigcall.on.err")
[ -n "$n" ] && [ "$n" -ge 1900 ] || { show "$TMP/sigcall.on.err"; fail "sigcall: the agent answered '${n}' of about 2000 calls"; }

note "a recorded thread switch: spin_wait's spinner is preempted in user code"
# The agent was off for traces with switches while a bpf.threads divergence
# was blamed on it (a torn switch record, docs/backends.md); bpf.threads
# replays race_counter's many switches with it.
record_switch spin "$SAMPLES/sample_spin_wait"
for r in 1 2; do
    RP_AGENT_STATS=1 run "$TMP/spin.$r" "$TMP/spin.$r.err" "$RP" replay "$TMP/spin.db"
    [ "$STATUS" -eq 0 ] || { show "$TMP/spin.$r.err"; fail "spin: replay $r exited $STATUS"; }
    assert_same_file "$TMP/spin.rec" "$TMP/spin.$r" "spin: replay $r stdout vs recording"
    n=$(answered "$TMP/spin.$r.err")
    [ -n "$n" ] && [ "$n" -ge 1 ] || { show "$TMP/spin.$r.err"; fail "spin: the agent answered '${n}' calls"; }
done

note "programs that use ptrace: the tracer's POKE/SETREGS reach the tracee"
# Whether the tracer's POKE came right before another of its calls (then the
# agent could take it) depends on the recording's order: several recordings.
[ -n "${CONF_BIN:-}" ] || fail "CONF_BIN is not set"
for prog in ptrace_traceme ptrace_peek_poke ptrace_poke_text; do
    for i in 1 2 3 4 5; do
        record "$prog$i" "$CONF_BIN/$prog"
        [ "$REC_STATUS" -eq 0 ] || { show "$TMP/$prog$i.rec.err"; fail "$prog: recording exited $REC_STATUS"; }
        RP_AGENT_STATS=1 run "$TMP/$prog$i.out" "$TMP/$prog$i.err" "$RP" replay "$TMP/$prog$i.db"
        [ "$STATUS" -eq 0 ] || { show "$TMP/$prog$i.err"; fail "$prog (recording $i): replay exited $STATUS"; }
        assert_same_file "$TMP/$prog$i.rec" "$TMP/$prog$i.out" "$prog (recording $i): replay stdout vs recording"
        n=$(answered "$TMP/$prog$i.err")
        [ -n "$n" ] && [ "$n" -ge 1 ] || { show "$TMP/$prog$i.err"; fail "$prog: the agent answered '${n}' calls"; }
    done
done
echo PASS
