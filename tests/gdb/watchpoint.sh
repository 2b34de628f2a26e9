#!/bin/bash
# A hardware watchpoint on a global that user code writes right after the
# getrandom call: it triggers with the recorded value. Going backwards from
# the end, the same write is met again, the value turning back into 0.
. "$(dirname "$0")/gdb_lib.sh"

record_check_secret
cat >"$TMP/s.gdb" <<'EOF'
watch last_secret
continue
print last_secret
continue
reverse-continue
print last_secret
EOF
gdb_session cs "$TMP/s.gdb"
assert_in_order "$TMP/cs.gdb.out" \
    "^Hardware watchpoint 1: last_secret" \
    "^Old value = 0" \
    "^New value = $SECRET\$" \
    "^main \(\) at .*check_secret.c" \
    "^\\\$1 = $SECRET\$" \
    "rp: end of the recording" \
    "^Hardware watchpoint 1: last_secret" \
    "^Old value = $SECRET\$" \
    "^New value = 0" \
    "^\\\$2 = 0\$"
echo PASS
