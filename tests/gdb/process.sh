#!/bin/bash
# rp replay -p PID / -f PID (rr's spellings): gdb debugs one process of a
# multi-process trace, the others replayed around it. -f attaches where the
# process is forked, -p after its first exec (where it starts if none).
. "$(dirname "$0")/gdb_lib.sh"

# tcp_loopback forks a child that runs child() and exits with 7.
record tcp "$SAMPLES/sample_tcp_loopback"
"$RP" ps "$TMP/tcp.db" >"$TMP/tcp.ps"
kid=$(awk '/\(forked\)/ {print $1}' "$TMP/tcp.ps")
[ -n "$kid" ] || { show "$TMP/tcp.ps"; fail "rp ps shows no forked child"; }

cat >"$TMP/kid.gdb" <<'EOF2'
break child
continue
bt
continue
continue
EOF2
for opt in -f -p; do
    gdb_session tcp "$TMP/kid.gdb" "$opt" "$kid"
    assert_in_order "$TMP/tcp.gdb.out" \
        "^Breakpoint 1, child \(port=.*\) at .*tcp_loopback.c" \
        "^#1 .*main \(\) at .*tcp_loopback.c" \
        "^rp: end of process $kid in the recording; it then exited with 7" \
        "exited with code 07\]"
done

# A child that execs a program: -p stops in that program, also going back.
cp "$SAMPLES/sample_check_secret" "$TMP/prog"
cd "$TMP"
record sh sh -c './prog; true'
SECRET=$(sed -n 's/^secret=//p' "$TMP/sh.rec")
"$RP" ps "$TMP/sh.db" >"$TMP/sh.ps"
prog=$(awk '$NF == "./prog" {print $1}' "$TMP/sh.ps")
[ -n "$prog" ] || { show "$TMP/sh.ps"; fail "rp ps shows no ./prog"; }
cat >"$TMP/prog.gdb" <<'EOF2'
break check
continue
bt
reverse-continue
continue
EOF2
gdb_session sh "$TMP/prog.gdb" -p "$prog"
assert_in_order "$TMP/sh.gdb.out" \
    "^Reading symbols from $TMP/prog\.\.\.\$" \
    "^Breakpoint 1, check \(secret=$SECRET\)" \
    "^#1 .* in main \(\) at .*check_secret.c" \
    "^No more reverse-execution history" \
    "^Breakpoint 1, check \(secret=$SECRET\)"

# Processes the trace does not have, and -a with a debugger option.
run "$TMP/e.out" "$TMP/e.err" "$RP" replay -p 999999 "$TMP/sh.db"
assert_rp_error "$TMP/e.err" "$STATUS" "-p of a pid not in the trace"
assert_contains "$TMP/e.err" "rp ps" "-p of a pid not in the trace"
run "$TMP/e.out" "$TMP/e.err" "$RP" replay -a -f "$prog" "$TMP/sh.db"
assert_rp_error "$TMP/e.err" "$STATUS" "-a with -f"
echo PASS
