# rp ps lists every process of a trace (pid, parent, exit, threads, command), rp ls
# the traces of a directory, and rp replay -a (rr's "no debugger") replays
# like rp replay.
source "$(dirname "$0")/lib.sh"

note "shell pipeline: sh, a forked sh, cat"
record pipe sh -c 'echo hi | cat; exit 3'
assert_eq "$REC_STATUS" 3 "recorded exit"
run "$TMP/ps" "$TMP/ps.err" "$RP" ps "$TMP/pipe.db"
assert_eq "$STATUS" 0 "rp ps"
assert_eq "$(head -1 "$TMP/ps" | tr -s ' ')" "PID PPID EXIT THREADS CMD" "header"
assert_eq "$(sed 1d "$TMP/ps" | wc -l)" 3 "processes"
read -r sh_pid sh_ppid sh_exit sh_threads sh_cmd < <(sed -n 2p "$TMP/ps")
assert_eq "$sh_exit" 3 "the shell's exit"
assert_eq "$sh_threads" 1 "the shell's threads"
assert_eq "$sh_cmd" "sh -c echo hi | cat; exit 3" "the shell's command line"
sed 1,2d "$TMP/ps" | while read -r pid ppid exit threads cmd; do
    assert_eq "$ppid" "$sh_pid" "parent of $pid"
    assert_eq "$exit" 0 "exit of $pid"
done || exit 1
grep -qE " 0 +1 +(/usr)?/bin/cat$" "$TMP/ps" || { show "$TMP/ps"; fail "the exec'd cat"; }
grep -qF " 0        1        (forked) sh -c" "$TMP/ps" || { show "$TMP/ps"; fail "the forked shell"; }
# Process ids come from the trace's task table: each is a thread group leader.
tids=$(sqlite3 "$TMP/pipe.db" 'select tid from tasks where tid = tgid order by rowid' | tr '\n' ' ')
assert_eq "$(sed 1d "$TMP/ps" | awk '{printf "%s ", $1}')" "$tids" "pids vs the trace's tasks"

note "tcp_loopback: a child that exits 7"
record tcp "$SAMPLES/sample_tcp_loopback"
"$RP" ps "$TMP/tcp.db" >"$TMP/ps" || fail "rp ps tcp"
assert_eq "$(awk 'NR == 3 {print $3}' "$TMP/ps")" 7 "child's exit"
assert_eq "$(awk 'NR == 3 {print $2}' "$TMP/ps")" "$(awk 'NR == 2 {print $1}' "$TMP/ps")" "child's parent"

note "threads: one process with its threads counted, whichever backend recorded it"
find_backends
for backend in "${backends[@]}"; do
    RP_BACKEND=$backend record "thr_$backend" "$SAMPLES/sample_threads"
    assert_eq "$REC_STATUS" 0 "$backend: sample_threads recorded"
    run "$TMP/ps" "$TMP/ps.err" "$RP" ps "$TMP/thr_$backend.db"
    assert_eq "$STATUS" 0 "$backend: rp ps of sample_threads"
    # The leader and its 4 pthreads (samples/threads.c).
    assert_eq "$(sed 1d "$TMP/ps" | awk '{print $3, $4}')" "0 5" "$backend: one process, exit 0, 5 threads"
    assert_eq "$(sqlite3 "$TMP/thr_$backend.db" 'select count(distinct tgid) from tasks')" 1 \
        "$backend: processes in the trace's task table"
done

note "rp ps errors"
run "$TMP/out" "$TMP/err" "$RP" ps "$TMP/nonexistent.db"
assert_rp_error "$TMP/err" "$STATUS" "rp ps of a missing file"

note "rp ls"
mkdir "$TMP/traces" && cp "$TMP/pipe.db" "$TMP/tcp.db" "$TMP/traces/" && echo junk >"$TMP/traces/junk.db"
touch "$TMP/traces/notes.txt"
run "$TMP/ls" "$TMP/ls.err" "$RP" ls "$TMP/traces"
assert_eq "$STATUS" 0 "rp ls"
assert_eq "$(awk 'NR > 1 {printf "%s ", $1}' "$TMP/ls")" "junk.db pipe.db tcp.db " "traces listed"
read -r name date bytes backend events cmd < <(grep '^pipe.db ' "$TMP/ls")
assert_eq "$bytes" "$(stat -c %s "$TMP/pipe.db")" "rp ls size"
assert_eq "$backend" "$(sqlite3 "$TMP/pipe.db" "select value from meta where key = 'backend'")" "rp ls backend"
assert_eq "$events" "$(sqlite3 "$TMP/pipe.db" 'select count(*) from events')" "rp ls events"
assert_eq "$cmd" "sh -c echo hi | cat; exit 3" "rp ls command"
[[ $date =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T ]] || fail "rp ls date '$date'"
grep -q '^junk.db .*(.*not a usable rp trace' "$TMP/ls" || { show "$TMP/ls"; fail "junk.db marked unusable"; }
run "$TMP/ls" "$TMP/ls.err" "$RP" ls "$TMP/no-such-dir"
assert_rp_error "$TMP/ls.err" "$STATUS" "rp ls of a missing directory"

note "rp replay -a"
run "$TMP/rep" "$TMP/rep.err" "$RP" replay -a "$TMP/pipe.db"
assert_eq "$STATUS" 3 "rp replay -a status"
assert_same_file "$TMP/rep" "$TMP/pipe.rec" "rp replay -a output"
run "$TMP/rep" "$TMP/rep.err" "$RP" replay -a -g "$TMP/pipe.db"
assert_rp_error "$TMP/rep.err" "$STATUS" "rp replay -a -g"
echo PASS
