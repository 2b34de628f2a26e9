#!/bin/bash
# A recorded switch whose registers recur on later passes before the
# thread's next event (samples/spin_flag.c: a loop that keeps its count in
# memory) cannot be told from them: replay must stop at that switch with an
# "ambiguous" divergence, not deliver it at the first pass and diverge later
# on the printed count (docs/design.md "Preemption", replay/point_unique.cc).
#   ambiguous_point.sh BACKEND    (bpf; exit 77 when the backend is unavailable)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../integration/lib.sh"
backend=${1:-bpf}

if ! "$RP" record -q -b "$backend" -o "$TMP/probe.db" -- /bin/true 2>"$TMP/probe.err" </dev/null; then
    echo "backend $backend unavailable: $(head -1 "$TMP/probe.err")"
    [ "${CI:-}" = true ] && fail "backend $backend unavailable under CI=true"
    exit 77
fi

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
