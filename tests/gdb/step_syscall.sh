#!/bin/bash
# Single-stepping the `syscall` instruction of getrandom goes through the
# replay's emulation: the recorded result and bytes appear, nothing runs for
# real. reverse-stepi comes back to before the instruction (rax holds the
# syscall number again), and stepping forward again gives the same bytes.
. "$(dirname "$0")/gdb_lib.sh"

record_check_secret
cat >"$TMP/s.gdb" <<'EOF'
break main
continue
break getrandom
continue
set $buf = (unsigned *)$rdi
while *(unsigned short *)$pc != 0x050f
  stepi
end
x/i $pc
stepi
print $rax
print *$buf % 1000000
reverse-stepi
x/i $pc
print $rax
stepi
print *$buf % 1000000
EOF
gdb_session cs "$TMP/s.gdb"
assert_in_order "$TMP/cs.gdb.out" \
    "^Breakpoint 2, .*getrandom" \
    "^=> 0x[0-9a-f]+ <.*getrandom.*>:[[:space:]]+syscall" \
    "^\\\$1 = 4\$" \
    "^\\\$2 = $SECRET\$" \
    "^=> 0x[0-9a-f]+ <.*getrandom.*>:[[:space:]]+syscall" \
    "^\\\$3 = 318\$" \
    "^\\\$4 = $SECRET\$"
echo PASS
