#!/bin/bash
# Cross-process memory writes (replay/memory_writes.cc); the conformance
# programs xproc_vm_writev and xproc_proc_mem check that they replay.
#
# A recorded program that writes into the memory of a process outside the
# recording (process_vm_writev, /proc/PID/mem) cannot be replayed: replay
# makes such writes itself, into replayed processes only. It must stop with
# a divergence report naming the reason (exit 125), never go on silently;
# likewise for a /proc mem path it cannot tie to a process.
. "$(dirname "$0")/lib.sh"
: "${MEM_WRITER:?MEM_WRITER must be the path of rp_test_mem_writer}"

sleep 600 &
target=$!
BG_PIDS+=("$target")
# Its mappings are sleep's once it has exec'd (bash's before).
for i in $(seq 1 500); do
    [ "$(cat "/proc/$target/comm" 2>/dev/null)" = sleep ] && break
    sleep 0.01
done
[ "$(cat "/proc/$target/comm")" = sleep ] || fail "the target never exec'd sleep"
addr=$(awk '$2 ~ /^rw/ { split($1, a, "-"); print a[1]; exit }' "/proc/$target/maps")
[ -n "$addr" ] || fail "no writable mapping in the target process"

find_backends
for backend in "${backends[@]}"; do
    for mode in vm mem oddpath; do
        name=$backend.$mode
        RP_BACKEND=$backend record "$name" "$MEM_WRITER" "$mode" "$target" "$addr"
        assert_eq "$REC_STATUS" 0 "$name: recorded exit status"
        assert_eq "$(cat "$TMP/$name.rec")" "wrote 4" "$name: recorded output"
        run "$TMP/$name.rep" "$TMP/$name.rep.err" "$RP" replay "$TMP/$name.db"
        [ "$STATUS" -eq 125 ] || { show "$TMP/$name.rep.err"; fail "$name: replay exited $STATUS, expected 125"; }
        if [ "$mode" = oddpath ]; then
            assert_contains "$TMP/$name.rep.err" "its path names no process rp can tell" "$name: replay stderr"
        else
            assert_contains "$TMP/$name.rep.err" "which is not a process of the replay" "$name: replay stderr"
        fi
    done
done

# A trace without process_vm_writev's input hash (recorded before rp hashed
# its data): the replay agent must not answer the call, which would skip the
# write into the child.
: "${CONF_BIN:?CONF_BIN must be the directory of the conformance programs}"
case $(uname -m) in x86_64) nr=311 ;; aarch64) nr=271 ;; *) fail "unknown machine $(uname -m)" ;; esac
RP_BACKEND=ptrace record nohash "$CONF_BIN/xproc_vm_writev"
assert_eq "$REC_STATUS" 0 "nohash: recorded exit status"
[ "$(sqlite3 "$TMP/nohash.db" "select count(*) from events where nr = $nr and in_hash is not null")" = 2 ] ||
    fail "nohash: the trace does not hold the two calls' input hashes"
sqlite3 "$TMP/nohash.db" "update events set in_hash = null where nr = $nr" || fail "sqlite3 update"
assert_replays_match nohash
echo PASS
