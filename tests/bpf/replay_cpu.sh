#!/bin/bash
# Replay puts a kernel-backend recording on the CPU it was recorded on (meta
# "cpu"). CPUID reports the CPU it runs on (the APIC id), so a preemption
# recorded right after a CPUID has registers only that CPU gives back: a
# pipeline's trace whose switch sat there diverged in 4 of 8 replays before.
# gdb's shell reads the replayed program's affinity while replay holds it.
. "$(dirname "$0")/lib.sh"
require_bpf
record_bpf pin "$SAMPLES/sample_random_bytes"
[ "$REC_STATUS" -eq 0 ] || { show "$TMP/pin.rec.err"; fail "pin: recording exited $REC_STATUS"; }
cpu=$(sqlite3 "$TMP/pin.db" "SELECT value FROM meta WHERE key = 'cpu'")
[ -n "$cpu" ] || fail "pin: the trace names no recording CPU"
# gdb's parent is rp replay; the replayed program is rp's other child.
cat >"$TMP/s.gdb" <<'GDB'
shell pgrep -P "$(ps -o ppid= $PPID | tr -d " ")" -x sample_random_b | while read p; do grep Cpus_allowed_list /proc/$p/status; done
continue
GDB
command -v gdb >/dev/null || fail "gdb is needed"
HOME=$TMP "$RP" replay -g -x "$TMP/s.gdb" "$TMP/pin.db" >"$TMP/pin.gdb.out" 2>&1 </dev/null
grep -q "Cpus_allowed_list:	$cpu\$" "$TMP/pin.gdb.out" || { show "$TMP/pin.gdb.out"; fail "pin: the replayed program may run on another CPU than the recording's ($cpu)"; }
cat "$TMP/pin.gdb.out" | grep Cpus_allowed_list
echo PASS
