#!/bin/bash
# rp record -o never harms what is at PATH (docs/security.md): it refuses a
# FIFO, a device node, a symlink, a directory and the program's own exec
# files without touching them, leaves an existing trace intact when the
# program cannot start, and creates traces 0600 (--share: 0666 minus umask).
. "$(dirname "$0")/../integration/lib.sh"

umask 022
prog=$SAMPLES/sample_pids

# expect_refused NAME TARGET ARGS...: one rp: line, non-zero status, no
# temporary file left next to TARGET.
expect_refused() {
    local name=$1 target=$2
    shift 2
    run "$TMP/$name.out" "$TMP/$name.err" "$RP" record -q -o "$target" "$@"
    assert_rp_error "$TMP/$name.err" "$STATUS" "$name"
    leftovers=$(find "$(dirname "$target")" -maxdepth 1 -name '.*.rp-*' | wc -l)
    assert_eq "$leftovers" 0 "$name: temporary files left"
}

note "FIFO"
mkfifo "$TMP/fifo"
expect_refused fifo "$TMP/fifo" -- "$prog"
[ -p "$TMP/fifo" ] || fail "the FIFO was replaced"
assert_contains "$TMP/fifo.err" "FIFO" "FIFO refusal names the reason"

note "symlink to a file of the user, and a dangling one"
echo "precious" >"$TMP/precious"
ln -s "$TMP/precious" "$TMP/link"
expect_refused link "$TMP/link" -- "$prog"
[ -L "$TMP/link" ] || fail "the symlink was replaced"
assert_eq "$(cat "$TMP/precious")" "precious" "the symlink's target"
ln -s "$TMP/nowhere" "$TMP/dangling"
expect_refused dangling "$TMP/dangling" -- "$prog"
[ -e "$TMP/nowhere" ] && fail "a file was created through a dangling symlink"

note "directory"
mkdir "$TMP/dir"
expect_refused dir "$TMP/dir" -- "$prog"
[ -d "$TMP/dir" ] || fail "the directory is gone"

note "the program itself, by path, through PATH, through a hard link"
cp "$prog" "$TMP/prog"
cp "$TMP/prog" "$TMP/prog.orig"
expect_refused self "$TMP/prog" -- "$TMP/prog"
assert_same_file "$TMP/prog" "$TMP/prog.orig" "the program after -o onto itself"
PATH="$TMP:$PATH" expect_refused self_path "$TMP/prog" -- prog
assert_same_file "$TMP/prog" "$TMP/prog.orig" "the program after -o onto itself (PATH)"
ln "$TMP/prog" "$TMP/hardlink"
expect_refused hardlink "$TMP/hardlink" -- "$TMP/prog"
assert_same_file "$TMP/prog" "$TMP/prog.orig" "the program after -o onto a hard link of it"

note "a script's interpreter"
cp /bin/sh "$TMP/interp"
cp "$TMP/interp" "$TMP/interp.orig"
printf '#!%s\necho hi\n' "$TMP/interp" >"$TMP/script"
chmod +x "$TMP/script"
expect_refused interp "$TMP/interp" -- "$TMP/script"
assert_same_file "$TMP/interp" "$TMP/interp.orig" "the interpreter after -o onto it"

note "an existing trace stays intact when the program cannot start"
record good "$prog"
assert_eq "$REC_STATUS" 0 "recording the sample"
cp "$TMP/good.db" "$TMP/good.copy"
run "$TMP/nf.out" "$TMP/nf.err" "$RP" record -q -o "$TMP/good.db" -- "$TMP/does-not-exist"
assert_rp_error "$TMP/nf.err" "$STATUS" "missing program"
assert_same_file "$TMP/good.db" "$TMP/good.copy" "trace after a missing program"
printf 'garbage' >"$TMP/not-a-program"
chmod +x "$TMP/not-a-program"
run "$TMP/bad.out" "$TMP/bad.err" "$RP" record -q -o "$TMP/good.db" -- "$TMP/not-a-program"
assert_rp_error "$TMP/bad.err" "$STATUS" "program that cannot be executed"
assert_same_file "$TMP/good.db" "$TMP/good.copy" "trace after a program that failed to start"
leftovers=$(find "$TMP" -maxdepth 1 -name '.*.rp-*' | wc -l)
assert_eq "$leftovers" 0 "temporary files left after failed starts"

note "replacing an existing trace, modes"
run "$TMP/again.out" "$TMP/again.err" "$RP" record -q -o "$TMP/good.db" -- "$prog"
assert_eq "$STATUS" 0 "recording over an existing trace"
assert_files_differ "$TMP/good.db" "$TMP/good.copy" "the replaced trace"
"$RP" replay -q "$TMP/good.db" || fail "the replaced trace does not replay"
assert_eq "$(stat -c %a "$TMP/good.db")" 600 "mode of a trace under umask 022"
run "$TMP/share.out" "$TMP/share.err" "$RP" record -q --share -o "$TMP/shared.db" -- "$prog"
assert_eq "$(stat -c %a "$TMP/shared.db")" 644 "mode with --share under umask 022"
(cd "$TMP/dir" && "$RP" record -- "$prog" >/dev/null 2>"$TMP/default.err") ||
    { show "$TMP/default.err"; fail "recording with a default name"; }
assert_eq "$(stat -c %a "$TMP/dir/rp-sample_pids-0.db")" 600 "mode of a default-named trace"
# A default name never lands on an existing entry, not even a dangling link.
ln -s "$TMP/nowhere" "$TMP/dir/rp-sample_pids-1.db"
(cd "$TMP/dir" && "$RP" record -q -- "$prog" >/dev/null) || fail "second default-named recording"
[ -f "$TMP/dir/rp-sample_pids-2.db" ] || fail "the default name did not skip a dangling link"
[ -e "$TMP/nowhere" ] && fail "a default-named trace went through a dangling symlink"

note "a device node (private mount namespace)"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    mkdir "$TMP/devdir"
    unshare -m bash -c '
        mount -t tmpfs rp-test "$1" && mknod "$1/null" c 1 3 || exit 99
        "$2" record -q -o "$1/null" -- "$3" 2>"$1/err"
        echo "status=$?"
        stat -c %F "$1/null"
        wc -l <"$1/err"
        cat "$1/err"' _ "$TMP/devdir" "$RP" "$prog" >"$TMP/dev.out" 2>&1
    assert_contains "$TMP/dev.out" "character special file" "the device node after -o onto it"
    grep -q '^status=0$' "$TMP/dev.out" && { show "$TMP/dev.out"; fail "-o onto a device succeeded"; }
    assert_contains "$TMP/dev.out" "rp: refusing to write the trace" "device refusal"
else
    [ "${CI:-}" = true ] && fail "CI=true: the device case needs root for mknod"
    note "skipped: needs root for mknod"
fi
echo PASS
