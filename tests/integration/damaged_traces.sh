#!/bin/bash
# Files that are not usable traces: every command that reads one must fail
# with exactly one "rp: ..." line, never crash, and replay must exit 125;
# rp check lists the problems (exit 1) or cannot read the file (125).
. "$(dirname "$0")/lib.sh"

record good "$SAMPLES/sample_random_bytes"
assert_eq "$REC_STATUS" 0 "recorded exit status"
good="$TMP/good.db"
# The blob test below only means something if events carry blob-backed memory.
nblob=$(sqlite3 "$good" 'select count(*) from mem where blob is not null') || fail "sqlite3 failed"
[ "$nblob" -gt 0 ] || fail "the sample trace has no blob-backed memory records"

: >"$TMP/empty.db"
printf 'this is a text file\nnot a trace\n' >"$TMP/text.db"
head -c $(($(stat -c %s "$good") / 2)) "$good" >"$TMP/truncated.db"
cp "$good" "$TMP/blob.db"
sqlite3 "$TMP/blob.db" "update blobs set data=randomblob(length(data))" || fail "sqlite3 update"
cp "$good" "$TMP/version.db"
sqlite3 "$TMP/version.db" "update meta set value=999 where key='format_version'" || fail "sqlite3 update"
cp "$good" "$TMP/incomplete.db"
sqlite3 "$TMP/incomplete.db" "update meta set value=0 where key='complete'" || fail "sqlite3 update"

failures=0
check() { # FILE CMD...
    local f=$1 what
    shift
    what="rp $* $(basename "$f")"
    run "$TMP/out" "$TMP/err" "$RP" "$@" "$f"
    if [ "$1" = replay ] && [ "$STATUS" -ne 125 ]; then
        echo "FAIL: $what: exit status $STATUS, expected 125" >&2
        show "$TMP/err"
        failures=$((failures + 1))
        return
    fi
    # A subshell so that one failing combination does not hide the others.
    (assert_rp_error "$TMP/err" "$STATUS" "$what") || failures=$((failures + 1))
}

for f in "$TMP/nonexistent.db" "$TMP/empty.db" "$TMP/text.db" "$TMP/truncated.db" \
         "$TMP/blob.db" "$TMP/version.db" "$TMP/incomplete.db"; do
    note "$(basename "$f")"
    check "$f" replay
    check "$f" replay -q
    check "$f" dump
    check "$f" info
    # rp check lists problems (exit 1) or cannot read the file at all (125).
    run "$TMP/out" "$TMP/err" "$RP" check "$f"
    case $STATUS in
    1) if [ -s "$TMP/err" ] || ! grep -q "^rp check: $f: " "$TMP/out" || grep -q ": ok$" "$TMP/out"; then
           echo "FAIL: rp check $(basename "$f"): exit 1 without a problem listed" >&2
           show "$TMP/out"; show "$TMP/err"; failures=$((failures + 1))
       fi ;;
    125) (assert_rp_error "$TMP/err" "$STATUS" "rp check $(basename "$f")") || failures=$((failures + 1)) ;;
    *) echo "FAIL: rp check $(basename "$f"): exit status $STATUS" >&2; show "$TMP/err"
       failures=$((failures + 1)) ;;
    esac
done
[ "$failures" -eq 0 ] || fail "$failures command(s) mishandled a damaged trace"

# The intact original still works.
REC_STATUS=0
assert_replays_match good

# A thread switch recorded without registers (the eBPF recorder wrote such
# records in a race, docs/backends.md "moving"): replay names the record
# instead of searching for a point at address 0.
RP_BACKEND=ptrace record_switch spin "$SAMPLES/sample_spin_wait"
sw=$(sqlite3 "$TMP/spin.db" "select min(seq) from events where kind = 4")
sqlite3 "$TMP/spin.db" "update events set extra = zeroblob(length(extra)) where seq = $sw" ||
    fail "sqlite3 update"
run "$TMP/spin.out" "$TMP/spin.err" "$RP" replay -q "$TMP/spin.db"
assert_eq "$STATUS" 125 "switch without registers: replay exit status"
assert_contains "$TMP/spin.err" "replay diverged at event $sw (tid" "switch without registers"
assert_contains "$TMP/spin.err" "damaged preemption record: no registers" "switch without registers"

# Records the recorder lost (meta lost_records, set by the kernel backends)
# may be outputs the program read: replay refuses rather than give it other
# bytes (gdb's replay too); "unknown" (a cut recording) replays to the cut.
cp "$TMP/good.db" "$TMP/lost.db"
sqlite3 "$TMP/lost.db" "insert or replace into meta(key, value) values('lost_records', 3)" ||
    fail "sqlite3 insert"
run "$TMP/lost.out" "$TMP/lost.err" "$RP" replay -q "$TMP/lost.db"
assert_rp_error "$TMP/lost.err" "$STATUS" "lost records: replay"
assert_contains "$TMP/lost.err" "the recording lost 3 record(s)" "lost records: replay"
sqlite3 "$TMP/lost.db" "update meta set value = 'unknown' where key = 'lost_records'" ||
    fail "sqlite3 update"
run "$TMP/lost.out" "$TMP/lost.err" "$RP" replay -q "$TMP/lost.db"
assert_eq "$STATUS" 0 "lost records unknown: replay exit status"

# A trace whose meta says it holds no state to start from (rp record --name
# with a kernel backend): replay and gdb's replay refuse it, as rp dump -k
# does, instead of starting the command afresh (a /bin/true trace exits 0).
record true /bin/true
cp "$TMP/true.db" "$TMP/capture.db"
sqlite3 "$TMP/capture.db" "insert or replace into meta(key, value) values('replayable', 0)" ||
    fail "sqlite3 insert"
for how in "replay" "replay -q" "replay -g"; do
    RP_GDB=/bin/false run "$TMP/cap.out" "$TMP/cap.err" "$RP" $how "$TMP/capture.db"
    assert_rp_error "$TMP/cap.err" "$STATUS" "not replayable: rp $how"
    assert_contains "$TMP/cap.err" "captured without replay support" "not replayable: rp $how"
done

# A cut trace with a hole in its numbers (a recorder killed with a backlog
# wrote a later exit without the calls before it): replay ends at the hole,
# as cut short, instead of running on into records of another run.
cp "$TMP/good.db" "$TMP/hole.db"
mid=$(sqlite3 "$TMP/hole.db" "select seq from events where kind = 1 order by seq limit 1 offset 20")
lo=$(sqlite3 "$TMP/hole.db" "select coalesce(entry_seq, seq) from events where seq = $mid")
sqlite3 "$TMP/hole.db" "delete from mem where seq = $mid; delete from events where seq = $mid;
    update meta set value = 0 where key = 'complete'" || fail "sqlite3 delete"
before=$(sqlite3 "$TMP/hole.db" "select max(s) from (select seq s from events where seq < $lo
    union select entry_seq from events where entry_seq < $lo)")
run "$TMP/hole.out" "$TMP/hole.err" "$RP" replay -q "$TMP/hole.db"
assert_rp_error "$TMP/hole.err" "$STATUS" "cut trace with a hole: replay"
assert_contains "$TMP/hole.err" "the recording was cut short after event $before " "cut trace with a hole"
# A cut trace whose first committed events come after a hole at the start (a
# bpf recorder killed before its writer committed the execve): cut short
# before anything to replay, not a trace of another shape.
cp "$TMP/good.db" "$TMP/noexec.db"
first=$(sqlite3 "$TMP/noexec.db" "select min(seq) from events")
sqlite3 "$TMP/noexec.db" "delete from mem where seq = $first; delete from events where seq = $first;
    update meta set value = 0 where key = 'complete'" || fail "sqlite3 delete"
run "$TMP/noexec.out" "$TMP/noexec.err" "$RP" replay -q "$TMP/noexec.db"
assert_rp_error "$TMP/noexec.err" "$STATUS" "cut before the execve: replay"
assert_contains "$TMP/noexec.err" "cut short before the program's first event" "cut before the execve"
echo PASS
