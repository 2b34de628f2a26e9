#!/bin/bash
# The basic session: a breakpoint in check() shows the value the recording
# got from getrandom, the backtrace reaches main, the replay runs to the
# recorded exit; then reverse-continue goes back to the same breakpoint,
# with the same value.
. "$(dirname "$0")/gdb_lib.sh"

record_check_secret
cat >"$TMP/s.gdb" <<'EOF'
break check
continue
print secret
bt
continue
reverse-continue
print secret
continue
continue
EOF
gdb_session cs "$TMP/s.gdb"
assert_eq "$GDB_STATUS" 0 "gdb's exit status"
assert_in_order "$TMP/cs.gdb.out" \
    "^Breakpoint 1, check \(secret=$SECRET\)" \
    "^\\\$1 = $SECRET\$" \
    "^#1 .* in main \(\) at .*check_secret.c" \
    "^secret=$SECRET\$" \
    "rp: end of the recording; the recorded program then exited with $REC_STATUS" \
    "^No more reverse-execution history" \
    "^Breakpoint 1, check \(secret=$SECRET\)" \
    "^\\\$2 = $SECRET\$" \
    "^secret=$SECRET\$" \
    "exited with code $(gdb_exit_code "$REC_STATUS")\]"
echo PASS
