#!/bin/bash
# The "user-reported bug": once a crash is recorded, `continue` in gdb stops
# at the SIGSEGV inside process(), called from main, with the NULL pointer
# the recorded random byte chose; continuing lets the signal kill it.
. "$(dirname "$0")/gdb_lib.sh"

crashed=""
for i in $(seq 1 60); do
    record crash "$SAMPLES/sample_crash_bug"
    [ "$REC_STATUS" -eq 139 ] && { crashed=1; break; }
done
[ -n "$crashed" ] || fail "no crash in 60 recordings (expected ~25% of runs)"
byte=$(sed -n 's/^byte=//p' "$TMP/crash.rec")

cat >"$TMP/s.gdb" <<'EOF'
continue
bt
print p
continue
EOF
gdb_session crash "$TMP/s.gdb"
assert_in_order "$TMP/crash.gdb.out" \
    "^byte=$byte\$" \
    "^Program received signal SIGSEGV" \
    "^process \(p=0x0\) at .*crash_bug.c" \
    "^#1 .* in main \(\) at .*crash_bug.c" \
    "^\\\$1 = \(int \*\) 0x0" \
    "^Program terminated with signal SIGSEGV"
echo PASS
