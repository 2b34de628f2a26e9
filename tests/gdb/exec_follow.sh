#!/bin/bash
# gdb follows the debugged process through its execs: a program started as
# `sh -c 'exec ./prog'` is debugged by its own function names (gdb reloads
# symbols at the exec stop reply), also when ./prog changed after the
# recording (gdb then reads the copy stored in the trace). A shell's own
# SIGCHLD shows as SIGCHLD, never as the SIGSTOP of a mistranslated number.
. "$(dirname "$0")/gdb_lib.sh"

cd "$TMP"
cp "$SAMPLES/sample_check_secret" prog
record ex sh -c 'exec ./prog'
SECRET=$(sed -n 's/^secret=//p' "$TMP/ex.rec")
[ -n "$SECRET" ] || { show "$TMP/ex.rec"; fail "prog printed no secret"; }

cat >"$TMP/s.gdb" <<'EOF2'
set breakpoint pending on
break check
continue
bt
continue
EOF2
gdb_session ex "$TMP/s.gdb"
assert_in_order "$TMP/ex.gdb.out" \
    "^Reading symbols from .*/sh" \
    "executing new program: $TMP/prog\$" \
    "^Breakpoint 1, check \(secret=$SECRET\) at .*check_secret.c" \
    "^#1 .* in main \(\) at .*check_secret.c" \
    "^No more reverse-execution history"

# A wrapper script (like a pyenv shim): gdb starts with the script's
# interpreter, an ELF file, not with the script.
printf '#!/bin/sh\nexec ./prog\n' >wrapper
chmod +x wrapper
record wr ./wrapper
gdb_session wr "$TMP/s.gdb"
assert_in_order "$TMP/wr.gdb.out" \
    "^Reading symbols from /(usr/)?bin/(da)?sh\.\.\.\$" \
    "executing new program: $TMP/prog\$" \
    "^Breakpoint 1, check \(secret=[0-9]+\) at .*check_secret.c"
if grep -q "not in executable format" "$TMP/wr.gdb.out"; then
    show "$TMP/wr.gdb.out"
    fail "gdb was given the script as its program"
fi

# The program on disk is no longer the one recorded: gdb reads a copy of the
# one stored in the trace, removed when the session ends.
mv prog prog.recorded
echo 'not the program' >prog
mkdir "$TMP/gdb"
TMPDIR=$TMP/gdb gdb_session ex "$TMP/s.gdb"
if grep -q "no private root" "$TMP/ex.gdb.out"; then
    note "no private root for the replay here: the stored copy cannot be shown"
else
    assert_in_order "$TMP/ex.gdb.out" \
        "executing new program: $TMP/gdb/rp-gdb-[^/]+/0/prog\$" \
        "^Breakpoint 1, check \(secret=$SECRET\) at .*check_secret.c"
fi
[ -z "$(ls -A "$TMP/gdb")" ] || fail "the copy for gdb was left behind: $(ls -R "$TMP/gdb")"
mv prog.recorded prog

# A forked child's exit sends the shell SIGCHLD (gdb's signal 20, Linux's 17).
record fk sh -c './prog; true'
cat >"$TMP/s.gdb" <<'EOF2'
handle SIGCHLD stop print
continue
continue
continue
EOF2
gdb_session fk "$TMP/s.gdb"
assert_in_order "$TMP/fk.gdb.out" \
    "^Program received signal SIGCHLD" \
    "^No more reverse-execution history"
if grep -q "SIGSTOP" "$TMP/fk.gdb.out"; then
    show "$TMP/fk.gdb.out"
    fail "gdb showed a SIGSTOP the program never received"
fi
echo PASS
