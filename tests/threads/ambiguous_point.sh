#!/bin/bash
# A recorded switch whose registers recur on later passes before the
# thread's next event (samples/spin_flag.c: a loop that keeps its count in
# memory) cannot be told from them: replay must stop at that switch with an
# "ambiguous" divergence, not deliver it at the first pass and diverge later
# on the printed count (docs/design.md "Preemption", replay/point_unique.cc).
# Then a switch that is not ambiguous but whose thread, run on alone, never
# reaches its next syscall: the check must give up and replay go on.
#   ambiguous_point.sh BACKEND    (bpf; exit 77 when the backend is unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
source "$here/backend.sh" "$@"

"$RP" record -q -b "$backend" -o "$TMP/t.db" -- "$SAMPLES/sample_spin_flag" >"$TMP/rec" 2>"$TMP/rec.err" ||
    { show "$TMP/rec.err"; fail "recording failed"; }
grep -q " passes$" "$TMP/rec" || { show "$TMP/rec"; fail "the sample printed no count"; }
# The spinner's last switch (the one the main thread's store needed) is in
# the loop: the dump shows it at one of the loop's three instructions.
"$RP" dump "$TMP/t.db" >"$TMP/dump" 2>&1 || fail "rp dump failed"
grep -q -- "--- switched out in user code" "$TMP/dump" || { show "$TMP/dump"; fail "no switch recorded"; }

"$RP" replay "$TMP/t.db" >"$TMP/rep" 2>"$TMP/rep.err"
status=$?
assert_eq "$status" 125 "replay exit status"
grep -q "is ambiguous: the thread has these registers" "$TMP/rep.err" ||
    { show "$TMP/rep.err"; fail "replay did not report the ambiguous switch point"; }
# Reported at a switch, not at a later syscall.
seq=$(sed -n 's/^rp: replay diverged at event \([0-9]*\) .*/\1/p' "$TMP/rep.err" | head -1)
grep -E "^ *$seq +[0-9]+ +--- switched out in user code" "$TMP/dump" >/dev/null ||
    { show "$TMP/rep.err"; fail "the divergence is not at a recorded switch (event $seq)"; }
echo "ok: $(head -1 "$TMP/rep.err" | cut -c1-160)"

# An unambiguous switch (registers counting) whose thread, run on alone,
# would spin forever (the flag is set after the switch): the check gives up
# after its CPU bound, and replay reproduces the program exactly.
"$RP" record -q -b "$backend" -o "$TMP/w.db" -- "$SAMPLES/sample_spin_flag" 300000000 \
    >"$TMP/wrec" 2>"$TMP/wrec.err" || { show "$TMP/wrec.err"; fail "recording (work) failed"; }
timeout 100 "$RP" replay "$TMP/w.db" >"$TMP/wrep" 2>"$TMP/wrep.err"
status=$?
[ "$status" -eq 0 ] || { show "$TMP/wrep.err"; fail "replay (work) exited $status"; }
assert_same_file "$TMP/wrep" "$TMP/wrec" "replay (work) output"
echo "ok: the unambiguous switch replayed: $(cat "$TMP/wrep")"

# Switched out in the loop again and again (the main thread wakes up four
# times before it sets the flag): each switch but the last is followed by
# another switch of the spinner, not by a syscall, and the first one is
# already ambiguous. Replay must stop there, not take its first pass and
# stop only at the last switch (or, had the count decided what the program
# does next, hang or diverge further on).
for try in 1 2 3; do
  "$RP" record -q -b "$backend" -o "$TMP/n.db" -- "$SAMPLES/sample_spin_flag" 0 4 \
      >"$TMP/nrec" 2>"$TMP/nrec.err" || { show "$TMP/nrec.err"; fail "recording (naps) failed"; }
  "$RP" dump "$TMP/n.db" >"$TMP/ndump" 2>&1 || fail "rp dump (naps) failed"
  [ "$(grep -c -- "--- switched out in user code" "$TMP/ndump")" -ge 2 ] && break
  echo "try $try: fewer than 2 switches recorded"
done
"$RP" replay "$TMP/n.db" >/dev/null 2>"$TMP/nrep.err"
status=$?
assert_eq "$status" 125 "replay (naps) exit status"
grep -q "is ambiguous: the thread has these registers" "$TMP/nrep.err" ||
    { show "$TMP/nrep.err"; fail "replay (naps) did not report the ambiguous switch point"; }
at='s/^rp: replay diverged at event \([0-9]*\) (tid \([0-9]*\)).*/\1 \2/p'
read -r seq tid <<<"$(sed -n "$at" "$TMP/nrep.err" | head -1)"
awk -v seq="$seq" -v tid="$tid" '$1 > seq && $2 == tid && /switched out in user code/ { found = 1 }
    END { exit !found }' "$TMP/ndump" ||
    { show "$TMP/nrep.err"; grep -- "switched out" "$TMP/ndump"
      fail "the divergence (event $seq) is not at a switch followed by another of its thread"; }
echo "ok: ambiguous at event $seq, before the thread's later switches"
