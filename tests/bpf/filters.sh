#!/bin/bash
# The prototype's filters at the kernel level: --name records every process
# with that command name and nothing else (not replayable, and rp says so);
# -p records a running process (and its new children) until it exits, from
# a snapshot: replayable.
. "$(dirname "$0")/lib.sh"
require_bpf

# A copy of pids under a unique command name, and an unrelated program.
name=rpnm$$
cp "$SAMPLES/sample_pids" "$TMP/$name"

note "--name"
"$RP" record --name "$name" -o "$TMP/name.db" 2>"$TMP/name.err" &
rec=$!
BG_PIDS+=("$rec")
wait_recording "$TMP/name.err"
"$TMP/$name" >"$TMP/name.out"
"$SAMPLES/sample_pids" >"$TMP/other.out"
"$TMP/$name" >>"$TMP/name.out"
kill -INT "$rec"  # rp drains what the runs left in the ring before it exits
wait "$rec" || { show "$TMP/name.err"; fail "--name: rp record exited $?"; }
"$RP" dump "$TMP/name.db" >"$TMP/name.dump"
mine=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$TMP/name.out" | sort -u)
other=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$TMP/other.out")
assert_eq "$(echo "$mine" | wc -l)" 2 "--name: two runs of $name"
for p in $mine; do
    grep -qE "^ +[0-9]+ +$p +getpid\(\) = $p$" "$TMP/name.dump" ||
        { show "$TMP/name.dump"; fail "--name: getpid of $p not recorded"; }
done
! grep -qE "^ +[0-9]+ +$other " "$TMP/name.dump" || fail "--name: recorded the other program ($other)"
assert_eq "$(info_field name 'lost records')" 0 "--name: lost records"
assert_contains <("$RP" info "$TMP/name.db") "replayable:     no"

note "-p"
# A shell that waits for a go, then runs pids twice: its children are
# recorded too.
record_shell p 'for i in 1 2; do "$0" >>"$1"; done' "$SAMPLES/sample_pids" "$TMP/p.out"
target=$TARGET
"$RP" dump "$TMP/p.db" >"$TMP/p.dump"
for p in $(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$TMP/p.out"); do
    grep -qE "^ +[0-9]+ +$p +getpid\(\) = $p$" "$TMP/p.dump" ||
        { show "$TMP/p.dump"; fail "-p: the child $p was not recorded"; }
done
grep -qE " $target +wait4\(" "$TMP/p.dump" || fail "-p: the shell's own wait4 not recorded"
run "$TMP/p.rep" "$TMP/p.rep.err" "$RP" replay "$TMP/p.db"
# The children exec'd after the attach: laid out as replay lays them out, and
# every record of theirs kept (a seized process's children start with an
# event stop, so their first stall's SIGSTOP is not taken for their start).
assert_eq "$STATUS" 0 "-p: replay's exit status"
assert_eq "$(info_field p 'lost records')" 0 "-p: lost records"
assert_eq "$(info_field p exit)" "exited with 0" "-p: exit status"
assert_eq "$(info_field p backend)" bpf "-p: rp info backend"

# attach_sleeper NAME: rp record -p on a new sleep into $TMP/NAME.db; sets
# VICTIM (the sleep) and REC (rp), once rp says it is recording.
attach_sleeper() {
    sleep 600 &
    VICTIM=$!
    BG_PIDS+=("$VICTIM")
    # Attached while the child is still exec'ing sleep, rp could not read its
    # program (/proc/PID/exe): under CI load "cannot read process N's program".
    for _ in $(seq 100); do
        [[ "$(readlink "/proc/$VICTIM/exe")" == */sleep ]] && break
        sleep 0.05
    done
    "$RP" record -p "$VICTIM" -o "$TMP/$1.db" 2>"$TMP/$1.err" &
    REC=$!
    BG_PIDS+=("$REC")
    wait_recording "$TMP/$1.err"
}

note "-p: a process killed by a signal is recorded as such, not as exit 0"
attach_sleeper k
kill -TERM "$VICTIM"
wait "$REC"
assert_eq "$?" 143 "-p (killed): rp record's exit status (the process's)"
assert_eq "$(info_field k exit)" "killed by SIGTERM" "-p: exit status of a killed process"

note "-p: stopped with Ctrl-C before the process ended: its exit status is unknown"
attach_sleeper i
kill -INT "$REC"
wait "$REC" || { show "$TMP/i.err"; fail "-p (interrupted): rp record exited $?"; }
assert_eq "$(info_field i exit)" "unknown (not observed)" "-p: exit status not observed"

note "errors"
run "$TMP/e.out" "$TMP/e.err" "$RP" record -p 999999999 -o "$TMP/e.db"
assert_rp_error "$TMP/e.err" "$STATUS" "-p of a missing process"
run "$TMP/e.out" "$TMP/e.err" "$RP" record --backend=bpf -p $$ -o "$TMP/e.db"
assert_rp_error "$TMP/e.err" "$STATUS" "-p of rp's own ancestor"
run "$TMP/e.out" "$TMP/e.err" "$RP" record --backend=ptrace --name "$name" -o "$TMP/e.db"
assert_rp_error "$TMP/e.err" "$STATUS" "--name with ptrace"
echo PASS
