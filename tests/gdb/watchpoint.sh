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
if grep -q "^Could not insert hardware watchpoint 1" "$TMP/cs.gdb.out"; then
    # A machine whose debug registers raise no trap (common/debugreg.h): rp
    # offers gdb no watch registers, gdb says so instead of never stopping.
    # Its software watchpoint (a single step at a time) stops at the write;
    # going back the whole run that way takes minutes, so only forward here.
    note "hardware watchpoints do not fire here: gdb told, software watchpoint forward"
    printf 'set can-use-hw-watchpoints 0\nwatch last_secret\ncontinue\nprint last_secret\n' \
        >"$TMP/sw.gdb"
    gdb_session cs "$TMP/sw.gdb"
    assert_in_order "$TMP/cs.gdb.out" \
        "^Watchpoint 1: last_secret" \
        "^Old value = 0" \
        "^New value = $SECRET\$" \
        "^\\\$1 = $SECRET\$"
    echo PASS
    exit 0
fi
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
