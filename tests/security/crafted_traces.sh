#!/bin/bash
# A trace is untrusted input (docs/trace-format.md, "Validation"). Traces
# crafted from a real recording with sqlite3 — paths that leave replay's
# private root, setuid and world-writable modes, huge sizes, bad integers,
# unknown event kinds, a changed schema — must make `rp replay` refuse with
# one "rp: ..." line and exit 125 without creating anything outside a fresh
# temporary directory, and `rp check` must name each problem.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/crafted_lib.sh"

record good "$SAMPLES/sample_random_bytes"
assert_eq "$REC_STATUS" 0 "recorded exit status"
good="$TMP/good.db"
[ "$(q 'select count(*) from files')" -gt 0 ] || fail "the sample trace stores no files"
exe=$(q "select value from meta where key='exe_path'")
fblob=$(q "select blob from files where path='$exe'")
[ -n "$fblob" ] || fail "the program is not among the stored files"
mem_rowid=$(q 'select min(rowid) from mem')
last_seq=$(q 'select max(seq) from events')

# Where escapes would land: a directory compared before and after each run,
# and names in /tmp that only this test uses.
AREA="$TMP/area"
OUT="$TMP/out"
mkdir -p "$AREA" "$OUT"
marker="rp-sec-$$"

row() { echo "insert into files values('$1',$fblob,493)"; }

crafted traversal "$(row "/../../../../../..$AREA/escaped")" "'..' component"
crafted traversal_tmp "$(row "/../../$marker-traversal")" "'..' component"
crafted relative "$(row "$marker-relative")" "not an absolute path"
crafted double_slash "$(row "//..//..//..//..//..$AREA/escaped2")" "empty component"
crafted dot "$(row "/./x")" "'.' component"
crafted nul "insert into files values(cast(x'2f61002f62' as text),$fblob,493)" "NUL"
crafted under_file "$(row "$exe/x")" "stored as a file, not a directory"
crafted setuid "update files set mode=2541 where path='$exe'" "mode 04755 not allowed"
crafted setgid "update files set mode=1517 where path='$exe'" "mode 02755 not allowed"
crafted world_writable "update files set mode=511 where path='$exe'" "mode 0777 not allowed"
crafted mode_text "update files set mode='rwx' where path='$exe'" "not an integer"
crafted file_missing_blob "update files set blob=999999 where path='$exe'" "missing blob 999999"
crafted blob_huge "update blobs set size=1099511627776 where id=$fblob" "size"
crafted blob_negative "update blobs set size=-1 where id=$fblob" "size"
crafted mem_huge "update mem set size=1099511627776 where rowid=$mem_rowid" "out of range"
crafted mem_kernel_addr "update mem set addr=-4096 where rowid=$mem_rowid" "not in user space"
crafted cwd_traversal "update meta set value='/../../../../..$AREA/cwd' where key='cwd'" "meta cwd"
crafted meta_text "update meta set value='abc' where key='exit_code'" "meta exit_code"
crafted meta_negative "update meta set value=-5 where key='stack_limit'" "meta stack_limit"
crafted meta_overflow "update meta set value='99999999999999999999999' where key='exit_status'" "meta exit_status"
crafted meta_float "update meta set value=1.5 where key='exit_code'" "meta exit_code"
crafted meta_flag "insert or replace into meta values('rdtsc_trapped', 2)" "meta rdtsc_trapped"
crafted meta_patched "insert or replace into meta values('rdtsc_patched', 7)" "meta rdtsc_patched"
crafted meta_refused "insert or replace into meta values('refused_calls', 'rseq=1')" "meta refused_calls"
crafted meta_refused_count "insert or replace into meta values('refused_calls', 'io_setup=0')" "meta refused_calls"
crafted meta_escape "update meta set value='vm'||char(27)||'[2J' where key='host'" "meta host holds control characters"
crafted meta_long "update meta set value=hex(zeroblob(40000)) where key='kernel'" "meta kernel is longer than"
crafted version_text "update meta set value='1abc' where key='format_version'" "format version"
crafted kind "update events set kind=9 where seq=$last_seq" "unknown kind 9"
crafted kind_first "update events set kind=0 where seq=(select min(seq) from events)" "unknown kind 0"
crafted tid "update events set tid=-1 where seq=$last_seq" "tid -1 out of range"
crafted tid_text "update events set tid='x' where seq=$last_seq" "tid is not an integer"
crafted t_negative "update events set t_entry=-5 where seq=$last_seq" "t_entry -5 is negative"
crafted t_exit_first "update events set t_entry=2000, t_exit=1000 where seq=$last_seq" \
    "t_exit 1000 is before t_entry 2000"
crafted t_text "update events set t_exit='soon' where seq=$last_seq" "t_exit is not an integer"
crafted clock_meta "update meta set value=-1 where key='clock_monotonic_ns'" "clock_monotonic_ns"
crafted signal "update events set kind=2, nr=999 where seq=$last_seq" "signal number 999"
crafted signal_size "update events set kind=2, nr=14, extra=zeroblob(600) where seq=$last_seq" \
    "signal record of 600 bytes"
crafted preempt_size "update events set kind=4, extra=zeroblob(600) where seq=$last_seq" \
    "switch record of 600 bytes"
# A 64-bit digest (format 4) that says its sums are version 3's 32-bit folds.
narrow_digest="$(printf '%01136d' 0)0000000001000000$(printf '%0512d' 0)"
crafted preempt_narrow "update events set kind=4, extra=x'$narrow_digest' where seq=$last_seq" \
    "switch digest marked narrow"
# A fork's copy number (format 5) must lie inside its call, on a fork.
fork_row() {  # fork_row FLAGS EXTRA: the last event as a clone (x86_64's 56) with that extra
    echo "update events set kind=1, nr=56, a0=$1, entry_seq=$((last_seq - 2)), extra='$2'" \
        "where seq=$last_seq"
}
crafted fork_copy_outside "$(fork_row 17 "forkcopy:$last_seq")" \
    "a fork's copy number $last_seq outside its call"
crafted fork_copy_text "$(fork_row 17 forkcopy:1x)" "a fork's copy number is not a number"
crafted fork_copy_thread "$(fork_row 256 "forkcopy:$((last_seq - 1))")" \
    "a copy number on a call that copies no memory"
crafted task "update tasks set tid=0" "task 0: tid out of range"
crafted argv_nul "update lists set value=x'61006200' where kind='argv' and idx=0" "NUL byte"
crafted schema_view "create view evil as select 1" "schema"
crafted schema_trigger "create trigger t after insert on meta begin select 1; end" "schema"
crafted schema_swap "drop table tasks; create view tasks as select 1 as tid, 1 as tgid, 0 as parent, 0 as first_seq, null as exit_status" "schema"

listing() { (cd "$1" && find . | sort); }

failures=0
for n in "${NAMES[@]}"; do
    note "$n"
    f="$TMP/$n.db"
    fresh=$(mktemp -d "$TMP/tmpdir.XXXXXX")
    before=$(listing "$AREA")
    # replay: one line, 125, nothing created anywhere we can see.
    TMPDIR=$fresh run "$OUT/out" "$OUT/err" "$RP" replay "$f"
    if [ "$STATUS" -ne 125 ]; then
        echo "FAIL: $n: rp replay exited $STATUS, expected 125" >&2
        show "$OUT/err"
        failures=$((failures + 1))
    fi
    (assert_rp_error "$OUT/err" "$STATUS" "$n: rp replay") || failures=$((failures + 1))
    [ "$(listing "$AREA")" == "$before" ] ||
        { echo "FAIL: $n: replay created files in $AREA:" >&2; find "$AREA" >&2; failures=$((failures + 1)); }
    [ -z "$(ls -A "$fresh")" ] ||
        { echo "FAIL: $n: replay left files in TMPDIR:" >&2; ls -la "$fresh" >&2; failures=$((failures + 1)); }
    if compgen -G "/tmp/*$marker*" >/dev/null || compgen -G "/$marker*" >/dev/null; then
        echo "FAIL: $n: replay created files outside its root:" >&2
        ls -d /tmp/*"$marker"* /"$marker"* >&2 2>/dev/null
        rm -rf /tmp/*"$marker"* /"$marker"*
        failures=$((failures + 1))
    fi
    # check: exit 1, the problem named, nothing on stderr.
    run "$OUT/check" "$OUT/check.err" "$RP" check "$f"
    if [ "$STATUS" -ne 1 ] || ! grep -qF -- "${EXPECT[$n]}" "$OUT/check" || [ -s "$OUT/check.err" ]; then
        echo "FAIL: $n: rp check exited $STATUS, expected 1 and '${EXPECT[$n]}'" >&2
        show "$OUT/check"
        show "$OUT/check.err"
        failures=$((failures + 1))
    fi
    grep -qvF "rp check: $f: " "$OUT/check" &&
        { echo "FAIL: $n: a line of rp check does not name the trace" >&2; failures=$((failures + 1)); }
    # info: never "healthy: yes".
    run "$OUT/info" "$OUT/info.err" "$RP" info "$f"
    if [ "$STATUS" -eq 0 ] || grep -q "healthy: *yes" "$OUT/info"; then
        echo "FAIL: $n: rp info exited $STATUS and called the trace healthy" >&2
        failures=$((failures + 1))
    fi
    (assert_rp_error "$OUT/info.err" "$STATUS" "$n: rp info") || failures=$((failures + 1))
done
[ "$failures" -eq 0 ] || fail "$failures problem(s) with crafted traces"

# The untouched recording is valid, healthy and replays.
run "$OUT/check" "$OUT/check.err" "$RP" check "$good"
assert_eq "$STATUS" 0 "rp check of the good trace"
assert_eq "$(cat "$OUT/check")" "rp check: $good: ok" "rp check output"
run "$OUT/info" "$OUT/info.err" "$RP" info "$good"
assert_eq "$STATUS" 0 "rp info of the good trace"
assert_contains "$OUT/info" "healthy:        yes" "rp info of the good trace"
assert_replays_match good
echo PASS
