#!/bin/bash
# Line-level reverse execution, which gdb builds from reverse single steps
# and reverse-continue to its own breakpoints: from inside check(),
# reverse-finish returns to the call in main, reverse-next goes back over
# the store to last_secret (still 0 there), next redoes it, reverse-step
# undoes it again.
. "$(dirname "$0")/gdb_lib.sh"

record_check_secret
cat >"$TMP/s.gdb" <<'EOF'
break check
continue
reverse-finish
reverse-next
print last_secret
next
print last_secret
reverse-step
print last_secret
EOF
gdb_session cs "$TMP/s.gdb"
assert_in_order "$TMP/cs.gdb.out" \
    "^Breakpoint 1, check \(secret=$SECRET\)" \
    "^main \(\) at .*check_secret.c:24" \
    "^23[[:space:]]+last_secret = secret;" \
    "^\\\$1 = 0\$" \
    "^24[[:space:]]+check\(secret\);" \
    "^\\\$2 = $SECRET\$" \
    "^23[[:space:]]+last_secret = secret;" \
    "^\\\$3 = 0\$"
echo PASS
