#!/bin/bash
# A trace records its architecture; replaying it on another one is refused
# with one `rp:` line and exit 125, before anything runs. The trace here is
# this machine's, relabelled as the other architecture (an arm64 trace made
# in the arm64 VM cannot be brought out of it).
. "$(dirname "$0")/../integration/lib.sh"

own=$(uname -m)
other=aarch64
[ "$own" = aarch64 ] && other=x86_64
"$RP" record --backend=ptrace -o "$TMP/t.db" -- "$SAMPLES/sample_pids" >"$TMP/rec.out" ||
    fail "record"
assert_eq "$(sqlite3 "$TMP/t.db" "SELECT value FROM meta WHERE key='arch'")" "$own" "recorded arch"
sqlite3 "$TMP/t.db" "UPDATE meta SET value='$other' WHERE key='arch'"
"$RP" replay "$TMP/t.db" >"$TMP/rep.out" 2>"$TMP/rep.err"
rc=$?
assert_eq "$rc" 125 "replay exit status"
assert_eq "$(wc -l <"$TMP/rep.err")" 1 "stderr lines"
grep -q "^rp: .*recorded on $other, this machine is $own" "$TMP/rep.err" || {
    show "$TMP/rep.err"; fail "no refusal naming both architectures"; }
[ -s "$TMP/rep.out" ] && { show "$TMP/rep.out"; fail "the program ran"; }
echo "PASS arch_refusal"
