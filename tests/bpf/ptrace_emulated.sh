#!/bin/bash
# A program's own ptrace under the eBPF backend (docs/design.md, "Programs
# that use ptrace"): the calls rp answers are skipped in the kernel, so the
# trace holds each exactly once, from rp (none from the kernel side's view of
# the skipped call, which has number -1), and a tracee held at a syscall
# entry has that stop as its entry: before its tracer's requests there.
# ptrace_peek_poke makes 32 ptrace calls: TRACEME, SETOPTIONS, PEEKDATA +
# POKEDATA + GETREGS at each of 7 stops, one SETREGS, 8 PTRACE_SYSCALL.
. "$(dirname "$0")/lib.sh"
require_bpf
PROG=$(dirname "$RP")/tests/conformance/progs/ptrace_peek_poke
[ -x "$PROG" ] || fail "$PROG not built"

record_bpf pp "$PROG"
assert_eq "$REC_STATUS" 0 "ptrace_emulated: recorded exit status"
assert_contains "$TMP/pp.rec" "PASS ptrace_peek_poke"
assert_no_loss pp
db=$TMP/pp.db
case $(uname -m) in  # the numbers of ptrace and getppid (common/syscalls.def)
    x86_64) ptrace=101 getppid=110 ;;
    aarch64) ptrace=117 getppid=173 ;;
    *) fail "no syscall numbers for $(uname -m)" ;;
esac
q() { sqlite3 "$db" "$1"; }
assert_eq "$(q "select count(*) from events where kind = 1 and nr = $ptrace")" 32 \
    "ptrace_emulated: ptrace events"
assert_eq "$(q "select count(*) from events where kind = 1 and nr < 0")" 0 \
    "ptrace_emulated: events of skipped calls"
# Each getppid was held at its entry, where its tracer peeked once.
peeks=$(q "select group_concat((select count(*) from events p where p.kind = 1 and
    p.nr = $ptrace and p.a0 = 2 and p.seq between g.entry_seq and g.seq), ' ')
    from events g where g.kind = 1 and g.nr = $getppid")
assert_eq "$peeks" "1 1 1" "ptrace_emulated: the tracer's PEEKDATA at each getppid's entry stop"
# Every number handed out is in the trace: an entry stop numbers its call's
# entry (rp_stop_numbers_entry), which the call's sys_enter, or rp for a call
# it answers, takes (the 4 calls held at their entry, 3 getppid and
# exit_group, once left the kernel side's own entry numbers unused).
holes=$(q "with s(n) as ($TRACE_NUMBERS_SQL)
    select (select max(n) from s) - (select count(distinct n) from s)")
assert_eq "$holes" 0 "ptrace_emulated: sequence numbers missing from the trace"
run "$TMP/pp.rep" "$TMP/pp.rep.err" "$RP" replay "$db"
assert_eq "$STATUS" 0 "ptrace_emulated: replay exit status"
cmp -s "$TMP/pp.rec" "$TMP/pp.rep" || fail "ptrace_emulated: replay output differs"
echo PASS
